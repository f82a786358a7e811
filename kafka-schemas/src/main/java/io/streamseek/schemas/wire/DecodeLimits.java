package io.streamseek.schemas.wire;

/**
 * Upper bounds on what one Avro payload may claim, checked before anything is allocated. A length
 * is also never allowed to exceed the bytes actually left in the payload, so a corrupt length
 * prefix that claims gigabytes fails at once instead of allocating them.
 *
 * @param maxStringBytes most bytes in one string
 * @param maxBytesLength most bytes in one {@code bytes} value
 * @param maxCollectionItems most items in one array or map block
 */
public record DecodeLimits(int maxStringBytes, int maxBytesLength, int maxCollectionItems) implements java.io.Serializable {

    /** 16 MiB strings and byte values, one million collection items: far above any sane prompt. */
    public static final DecodeLimits DEFAULT = new DecodeLimits(16 << 20, 16 << 20, 1_000_000);

    /** Avro's own JVM-wide limits, read once when Avro's {@code SystemLimitException} class loads. */
    static final String AVRO_STRING_LIMIT = "org.apache.avro.limits.string.maxLength";
    static final String AVRO_BYTES_LIMIT = "org.apache.avro.limits.bytes.maxLength";
    static final String AVRO_COLLECTION_LIMIT = "org.apache.avro.limits.collectionItems.maxLength";

    /**
     * Sets Avro's own decoder limits to {@link #DEFAULT}'s values where the user has not set them,
     * for Avro decoding this project does not control (Flink's Avro serializers, tools). Avro reads
     * them once, so this must run before its first decode; the codec calls it when it loads. Our own
     * decoding never depends on it: {@code BoundedBinaryDecoder} checks every length itself.
     */
    public static void applyAvroDefaults() {
        setIfAbsent(AVRO_STRING_LIMIT, DEFAULT.maxStringBytes());
        setIfAbsent(AVRO_BYTES_LIMIT, DEFAULT.maxBytesLength());
        setIfAbsent(AVRO_COLLECTION_LIMIT, DEFAULT.maxCollectionItems());
    }

    private static void setIfAbsent(String key, int value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, Integer.toString(value));
        }
    }

    public DecodeLimits {
        if (maxStringBytes < 0 || maxBytesLength < 0 || maxCollectionItems < 0) {
            throw new IllegalArgumentException("Decode limits must not be negative: " + maxStringBytes + ", "
                    + maxBytesLength + ", " + maxCollectionItems);
        }
    }
}
