package io.streamseek.gpu.loader.gguf;

/**
 * One metadata value as read: its type, for an ARRAY its element type, and the Java value (see
 * {@link GgufMetadata#raw} for which Java type each GGUF type becomes).
 */
record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    /** The type as messages show it: {@code UINT32}, or {@code ARRAY of STRING}. */
    String typeText() {
        return type == GgufValueType.ARRAY ? "ARRAY of " + elementType : type.name();
    }
}
