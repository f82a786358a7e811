package io.streamseek.gpu.backend.cuda;

import io.streamseek.gpu.backend.cuda.driver.DevicePointer;
import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * One launch's arguments as an emulated kernel reads them: by the parameter's name in the CUDA
 * source, checked against the signature's type. A launch whose values do not match the signature
 * (count, type) fails before the kernel runs, and one whose emulation leaves a parameter unread
 * fails after: either way the emulator and the launch site cannot silently disagree on the order.
 */
final class EmulatedArgs {

    private final KernelSignature kernel;
    private final Object[] values;
    private final BitSet read = new BitSet();

    EmulatedArgs(KernelSignature kernel, Object... values) {
        this.kernel = kernel;
        this.values = values.clone();
        List<KernelSignature.Param> params = kernel.params();
        if (values.length != params.size()) {
            throw new IllegalArgumentException(kernel.name() + " takes " + params.size() + " arguments, got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            KernelSignature.Param param = params.get(i);
            Class<?> expected = switch (param.type()) {
                case PTR -> DevicePointer.class;
                case INT -> Integer.class;
                case FLOAT -> Float.class;
            };
            if (!expected.isInstance(values[i])) {
                throw new IllegalArgumentException(kernel.name() + " argument " + i + " (" + param.name() + ") must be a "
                        + expected.getSimpleName() + ", got " + (values[i] == null ? "null" : values[i].getClass().getSimpleName()));
            }
        }
    }

    /** A pointer parameter's address (0 for NULL). */
    long ptr(String name) {
        return ((DevicePointer) value(name, KernelSignature.Type.PTR)).address();
    }

    int i32(String name) {
        return (Integer) value(name, KernelSignature.Type.INT);
    }

    float f32(String name) {
        return (Float) value(name, KernelSignature.Type.FLOAT);
    }

    /** Fails naming the parameters the emulation never read: it and the signature disagree. */
    void requireAllRead() {
        List<String> unread = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            if (!read.get(i)) {
                unread.add(kernel.params().get(i).name());
            }
        }
        if (!unread.isEmpty()) {
            throw new IllegalStateException("the emulation of " + kernel.name() + " never read its parameters " + unread);
        }
    }

    private Object value(String name, KernelSignature.Type type) {
        List<KernelSignature.Param> params = kernel.params();
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i).name().equals(name)) {
                if (params.get(i).type() != type) {
                    throw new IllegalStateException(kernel.name() + " parameter " + name + " is " + params.get(i).type() + ", read as "
                            + type);
                }
                read.set(i);
                return values[i];
            }
        }
        throw new IllegalStateException(kernel.name() + " has no parameter " + name + "; its parameters are " + params);
    }
}
