package io.streamseek.gpu.loader;

/** Safetensors dtypes, with their names in the header and sizes in bytes. */
public enum DType {
    F64("F64", 8), F32("F32", 4), F16("F16", 2), BF16("BF16", 2), F8_E4M3("F8_E4M3", 1), F8_E5M2("F8_E5M2", 1),
    I64("I64", 8), I32("I32", 4), I16("I16", 2), I8("I8", 1), U8("U8", 1), BOOL("BOOL", 1);

    private final String headerName;
    private final int bytes;

    DType(String headerName, int bytes) {
        this.headerName = headerName;
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public String headerName() {
        return headerName;
    }

    /** The dtype named {@code name} in a safetensors header, or null if there is none. */
    public static DType fromHeader(String name) {
        for (DType type : values()) {
            if (type.headerName.equals(name)) {
                return type;
            }
        }
        return null;
    }
}
