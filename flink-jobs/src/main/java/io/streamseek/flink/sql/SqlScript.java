package io.streamseek.flink.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A file of SQL statements as the SQL client reads one: statements end with {@code ;} outside
 * quotes and comments ({@code --} to the end of the line, {@code /* ... *&#47;}), and an
 * {@code EXECUTE STATEMENT SET BEGIN ... END;} block, whose inner statements end with {@code ;}
 * too, is one statement. Comments are dropped; the statements keep their text otherwise.
 */
public final class SqlScript {

    private SqlScript() {
    }

    /** @throws IllegalArgumentException for an unterminated quote, comment or statement set, naming the line */
    public static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int line = 1;
        int startLine = 1;
        int i = 0;
        while (i < script.length()) {
            char c = script.charAt(i);
            if (c == '\n') {
                line++;
            }
            if (c == '-' && i + 1 < script.length() && script.charAt(i + 1) == '-') {
                while (i < script.length() && script.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < script.length() && script.charAt(i + 1) == '*') {
                int end = script.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("line " + line + ": a /* comment is not closed");
                }
                line += count(script, '\n', i, end);
                i = end + 2;
                current.append(' ');
                continue;
            }
            if (c == '\'' || c == '"' || c == '`') {
                int end = closingQuote(script, i);
                if (end < 0) {
                    throw new IllegalArgumentException("line " + line + ": a " + c + " quote is not closed");
                }
                line += count(script, '\n', i, end);
                current.append(script, i, end + 1);
                i = end + 1;
                continue;
            }
            if (c == ';' && !(inStatementSet(current) && !endsStatementSet(current))) {
                add(statements, current);
                current.setLength(0);
                i++;
                continue;
            }
            if (current.toString().isBlank() && !Character.isWhitespace(c)) {
                startLine = line;
            }
            current.append(c);
            i++;
        }
        if (!current.toString().isBlank()) {
            if (inStatementSet(current)) {
                throw new IllegalArgumentException("line " + startLine + ": EXECUTE STATEMENT SET BEGIN has no END;");
            }
            add(statements, current);
        }
        return statements;
    }

    private static void add(List<String> statements, StringBuilder statement) {
        String text = statement.toString().strip();
        if (!text.isEmpty()) {
            statements.add(text);
        }
    }

    /** The index of the quote closing the one at {@code open} (a doubled quote is an escaped one), or -1. */
    private static int closingQuote(String script, int open) {
        char quote = script.charAt(open);
        for (int i = open + 1; i < script.length(); i++) {
            if (script.charAt(i) == quote) {
                if (i + 1 < script.length() && script.charAt(i + 1) == quote) {
                    i++;
                    continue;
                }
                return i;
            }
        }
        return -1;
    }

    private static int count(String s, char c, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == c) {
                n++;
            }
        }
        return n;
    }

    private static boolean inStatementSet(StringBuilder statement) {
        return words(statement).startsWith("EXECUTE STATEMENT SET BEGIN");
    }

    /** Whether the statement set's text so far ends with its END (the {@code ;} after it closes it). */
    private static boolean endsStatementSet(StringBuilder statement) {
        String words = words(statement);
        return words.endsWith(" END");
    }

    private static String words(StringBuilder statement) {
        return statement.toString().strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
    }
}
