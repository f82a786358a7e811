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

    public DecodeLimits {
        if (maxStringBytes < 0 || maxBytesLength < 0 || maxCollectionItems < 0) {
            throw new IllegalArgumentException("Decode limits must not be negative: " + maxStringBytes + ", "
                    + maxBytesLength + ", " + maxCollectionItems);
        }
    }
}
