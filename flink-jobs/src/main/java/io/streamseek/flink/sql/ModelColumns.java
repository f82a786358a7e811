package io.streamseek.flink.sql;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What each column of a streamseek model's {@code INPUT} and {@code OUTPUT} schemas means, checked
 * when the statement is planned: a column the provider cannot serve (an unknown name, a wrong
 * type, no prompt) fails there with a message naming it, not on the first row.
 */
public final class ModelColumns implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Input columns, by name; only {@code prompt} is required. */
    public enum In {
        /** STRING: a plain prompt; or ARRAY&lt;ROW&lt;role STRING, content STRING&gt;&gt;: a chat, rendered with the model's template. */
        PROMPT,
        /** STRING: the tenant billed (and the prefix cache's isolation boundary); {@code default} when absent or null. */
        TENANT,
        /** INT: overrides the model's {@code max-tokens}. */
        MAX_TOKENS,
        /** FLOAT or DOUBLE: overrides {@code temperature}. */
        TEMPERATURE,
        /** FLOAT or DOUBLE: overrides {@code top-p}. */
        TOP_P,
        /** INT: overrides {@code top-k}. */
        TOP_K,
        /** BIGINT: the sampler's seed; otherwise derived from the row's input values, so a replay samples the same tokens. */
        SEED,
        /** ARRAY&lt;STRING&gt;: overrides {@code stop}. */
        STOP;

        String columnName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Output columns, by name; any subset, in any order. */
    public enum Out {
        COMPLETION, FINISH_REASON, PROMPT_TOKENS, CACHED_PROMPT_TOKENS, COMPLETION_TOKENS, TIME_TO_FIRST_TOKEN_MS, COST, CURRENCY,
        /** STRING: why a row was REJECTED or FAILED; null otherwise. */
        ERROR;

        String columnName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The money scale of the contract's cost records. */
    static final int COST_SCALE = 12;
    private static final int COST_PRECISION = 24;

    private final In[] inputs;
    private final LogicalType[] inputTypes;
    private final Out[] outputs;
    private final LogicalType[] outputTypes;
    private final boolean chat;

    private ModelColumns(In[] inputs, LogicalType[] inputTypes, Out[] outputs, LogicalType[] outputTypes, boolean chat) {
        this.inputs = inputs;
        this.inputTypes = inputTypes;
        this.outputs = outputs;
        this.outputTypes = outputTypes;
        this.chat = chat;
    }

    /** @throws ValidationException naming the model and the first column it cannot serve */
    public static ModelColumns of(String model, ResolvedSchema input, ResolvedSchema output) {
        List<Column> in = input.getColumns();
        In[] inputs = new In[in.size()];
        LogicalType[] inputTypes = new LogicalType[in.size()];
        boolean chat = false;
        for (int i = 0; i < in.size(); i++) {
            Column column = in.get(i);
            In role = role(In.class, column.getName(), model, "INPUT");
            if (Arrays.asList(inputs).contains(role)) {
                throw new ValidationException(prefix(model) + "INPUT column '" + column.getName() + "' appears twice");
            }
            LogicalType type = column.getDataType().getLogicalType();
            String wanted = inputTypeProblem(role, type);
            if (wanted != null) {
                throw new ValidationException(prefix(model) + "INPUT column '" + column.getName() + "' is " + type.asSummaryString()
                        + "; it must be " + wanted);
            }
            chat |= role == In.PROMPT && type.is(LogicalTypeRoot.ARRAY);
            inputs[i] = role;
            inputTypes[i] = type;
        }
        if (!Arrays.asList(inputs).contains(In.PROMPT)) {
            throw new ValidationException(prefix(model) + "INPUT has no 'prompt' column (STRING, or ARRAY<ROW<role STRING, content STRING>> "
                    + "for a chat); its columns are " + in.stream().map(Column::getName).collect(Collectors.toList()));
        }
        List<Column> out = output.getColumns();
        if (out.isEmpty()) {
            throw new ValidationException(prefix(model) + "OUTPUT declares no column; declare any of " + names(Out.class));
        }
        Out[] outputs = new Out[out.size()];
        LogicalType[] outputTypes = new LogicalType[out.size()];
        for (int i = 0; i < out.size(); i++) {
            Column column = out.get(i);
            Out role = role(Out.class, column.getName(), model, "OUTPUT");
            if (Arrays.asList(outputs).contains(role)) {
                throw new ValidationException(prefix(model) + "OUTPUT column '" + column.getName() + "' appears twice");
            }
            LogicalType type = column.getDataType().getLogicalType();
            String wanted = outputTypeProblem(role, type);
            if (wanted != null) {
                throw new ValidationException(prefix(model) + "OUTPUT column '" + column.getName() + "' is " + type.asSummaryString()
                        + "; it must be " + wanted);
            }
            outputs[i] = role;
            outputTypes[i] = type;
        }
        return new ModelColumns(inputs, inputTypes, outputs, outputTypes, chat);
    }

    private static <E extends Enum<E>> E role(Class<E> roles, String column, String model, String side) {
        for (E role : roles.getEnumConstants()) {
            if (role.name().toLowerCase(Locale.ROOT).equals(column)) {
                return role;
            }
        }
        throw new ValidationException(prefix(model) + side + " column '" + column + "' is not one the streamseek provider knows; "
                + side + " columns are " + names(roles));
    }

    private static String inputTypeProblem(In role, LogicalType type) {
        return switch (role) {
            case PROMPT -> isString(type) || isChat(type) ? null : "STRING or ARRAY<ROW<role STRING, content STRING>>";
            case TENANT -> isString(type) ? null : "STRING";
            case MAX_TOKENS, TOP_K -> type.is(LogicalTypeRoot.INTEGER) ? null : "INT";
            case TEMPERATURE, TOP_P -> type.is(LogicalTypeRoot.FLOAT) || type.is(LogicalTypeRoot.DOUBLE) ? null : "FLOAT or DOUBLE";
            case SEED -> type.is(LogicalTypeRoot.BIGINT) ? null : "BIGINT";
            case STOP -> type instanceof ArrayType array && isString(array.getElementType()) ? null : "ARRAY<STRING>";
        };
    }

    private static String outputTypeProblem(Out role, LogicalType type) {
        return switch (role) {
            case COMPLETION, FINISH_REASON, CURRENCY, ERROR -> isString(type) ? null : "STRING";
            case PROMPT_TOKENS, CACHED_PROMPT_TOKENS, COMPLETION_TOKENS -> type.is(LogicalTypeRoot.INTEGER) ? null : "INT";
            case TIME_TO_FIRST_TOKEN_MS -> type.is(LogicalTypeRoot.BIGINT) ? null : "BIGINT";
            case COST -> type instanceof DecimalType d && d.getScale() == COST_SCALE && d.getPrecision() >= COST_PRECISION ? null
                    : "DECIMAL(24, 12) (or a wider precision with scale 12)";
        };
    }

    private static boolean isString(LogicalType type) {
        return type.is(LogicalTypeFamily.CHARACTER_STRING);
    }

    private static boolean isChat(LogicalType type) {
        if (!(type instanceof ArrayType array) || !(array.getElementType() instanceof RowType row)) {
            return false;
        }
        return row.getFieldCount() == 2 && row.getFieldNames().equals(List.of("role", "content"))
                && isString(row.getTypeAt(0)) && isString(row.getTypeAt(1));
    }

    private static String prefix(String model) {
        return "model " + model + ": ";
    }

    private static <E extends Enum<E>> String names(Class<E> roles) {
        List<String> names = new ArrayList<>();
        for (E role : EnumSet.allOf(roles)) {
            names.add(role.name().toLowerCase(Locale.ROOT));
        }
        return names.toString();
    }

    /** The role of each input column, in the order ML_PREDICT passes them. */
    In[] inputs() {
        return inputs.clone();
    }

    LogicalType inputType(int i) {
        return inputTypes[i];
    }

    /** The role of each output column, in the declared order. */
    Out[] outputs() {
        return outputs.clone();
    }

    LogicalType outputType(int i) {
        return outputTypes[i];
    }

    /** Whether the prompt is a chat (an array of messages) rather than plain text. */
    boolean chat() {
        return chat;
    }

    Set<In> inputRoles() {
        return Arrays.stream(inputs).collect(Collectors.toCollection(() -> EnumSet.noneOf(In.class)));
    }
}
