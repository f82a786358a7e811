package io.streamseek.gpu.backend.cuda.driver;

import io.streamseek.gpu.backend.cuda.kernel.KernelSignature;

import java.util.List;

import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * Checks a launch's arguments against the kernel's signature and packs them the way
 * {@code cuLaunchKernel} takes them: an array of pointers, one per parameter, each to the
 * parameter's value. Needs no device, so a wrong launch is an exception in a unit test, not
 * garbage read by a kernel.
 */
public final class KernelArguments {

    private KernelArguments() {
    }

    /**
     * Validates {@code args} (PTR: a {@link DeviceBuffer} or {@link DevicePointer}, including
     * {@link DevicePointer#NULL}; INT: an {@link Integer}; FLOAT: a {@link Float}) and packs them.
     *
     * @throws IllegalArgumentException naming the kernel, the parameter's index and name, what it
     *     expects and what it got
     */
    public static Pointer pack(KernelSignature signature, Object... args) {
        NativePointerObject[] values = new NativePointerObject[args.length];
        List<KernelSignature.Param> params = signature.params();
        if (args.length != params.size()) {
            throw new IllegalArgumentException("kernel " + signature.name() + " takes " + params.size() + " arguments "
                    + params.stream().map(p -> p.name() + ": " + p.type()).toList() + ", got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            values[i] = value(signature, i, params.get(i), args[i]);
        }
        return Pointer.to(values);
    }

    private static Pointer value(KernelSignature signature, int index, KernelSignature.Param param, Object arg) {
        switch (param.type()) {
            case PTR:
                if (arg instanceof DeviceBuffer buffer) {
                    return Pointer.to(new long[] {buffer.address()});
                }
                if (arg instanceof DevicePointer pointer) {
                    return Pointer.to(new long[] {pointer.address()});
                }
                break;
            case INT:
                if (arg instanceof Integer value) {
                    return Pointer.to(new int[] {value});
                }
                break;
            case FLOAT:
                if (arg instanceof Float value) {
                    return Pointer.to(new float[] {value});
                }
                break;
            default:
                throw new IllegalStateException("unknown parameter type " + param.type());
        }
        throw new IllegalArgumentException("kernel " + signature.name() + " parameter " + index + " (" + param.name() + ") expects "
                + expected(param.type()) + ", got " + (arg == null ? "null" : arg.getClass().getSimpleName() + " " + arg));
    }

    private static String expected(KernelSignature.Type type) {
        return switch (type) {
            case PTR -> "a DeviceBuffer or DevicePointer (DevicePointer.NULL for none)";
            case INT -> "an Integer";
            case FLOAT -> "a Float";
        };
    }
}
