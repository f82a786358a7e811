package io.streamseek.schemas.wire;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random and mutated payloads for the decoder, reproducible from a seed. Mutations keep the
 * 5-byte header of a valid payload most of the time, so they reach the Avro body.
 */
final class PayloadFuzzer {

    private final SplittableRandom random;
    private final byte[][] seeds;

    PayloadFuzzer(long seed, byte[]... validPayloads) {
        this.random = new SplittableRandom(seed);
        this.seeds = validPayloads;
    }

    byte[] next() {
        byte[] base = seeds[random.nextInt(seeds.length)];
        switch (random.nextInt(8)) {
            case 0:
                return randomBytes(random.nextInt(64));
            case 1:
                return withHeader(base, randomBytes(random.nextInt(256)));
            case 2:
                return Arrays.copyOf(base, random.nextInt(base.length));
            case 3:
                return flipBits(base, 1 + random.nextInt(8));
            case 4:
                return overwriteWithHugeLength(base);
            case 5:
                return insertOrDelete(base);
            case 6:
                return withSchemaId(base, random.nextInt());
            default:
                return flipBits(Arrays.copyOf(base, base.length + random.nextInt(16)), 1);
        }
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    private static byte[] withHeader(byte[] valid, byte[] body) {
        byte[] payload = Arrays.copyOf(valid, ConfluentWireFormat.HEADER_SIZE + body.length);
        System.arraycopy(body, 0, payload, ConfluentWireFormat.HEADER_SIZE, body.length);
        return payload;
    }

    private byte[] flipBits(byte[] base, int flips) {
        byte[] payload = base.clone();
        for (int i = 0; i < flips && payload.length > ConfluentWireFormat.HEADER_SIZE; i++) {
            int at = ConfluentWireFormat.HEADER_SIZE + random.nextInt(payload.length - ConfluentWireFormat.HEADER_SIZE);
            payload[at] ^= (byte) (1 << random.nextInt(8));
        }
        return payload;
    }

    /** Puts a varint claiming up to ~2^62 at a random body position: the "gigabyte string" attack. */
    private byte[] overwriteWithHugeLength(byte[] base) {
        byte[] payload = base.clone();
        int at = ConfluentWireFormat.HEADER_SIZE + random.nextInt(Math.max(1, payload.length - ConfluentWireFormat.HEADER_SIZE - 9));
        long zigzag = (random.nextLong() & Long.MAX_VALUE) >>> random.nextInt(40);
        for (int i = 0; i < 9 && at < payload.length; i++, at++) {
            payload[at] = (byte) ((zigzag & 0x7f) | (i < 8 ? 0x80 : 0));
            zigzag >>>= 7;
        }
        return payload;
    }

    private byte[] insertOrDelete(byte[] base) {
        int at = ConfluentWireFormat.HEADER_SIZE + random.nextInt(Math.max(1, base.length - ConfluentWireFormat.HEADER_SIZE));
        if (random.nextBoolean() && at < base.length) {
            byte[] payload = new byte[base.length - 1];
            System.arraycopy(base, 0, payload, 0, at);
            System.arraycopy(base, at + 1, payload, at, base.length - at - 1);
            return payload;
        }
        byte[] payload = new byte[base.length + 1];
        System.arraycopy(base, 0, payload, 0, Math.min(at, base.length));
        payload[Math.min(at, base.length)] = (byte) random.nextInt(256);
        System.arraycopy(base, Math.min(at, base.length), payload, Math.min(at, base.length) + 1, base.length - Math.min(at, base.length));
        return payload;
    }

    private static byte[] withSchemaId(byte[] base, int id) {
        byte[] payload = base.clone();
        ConfluentWireFormat.writeHeader(id, payload);
        return payload;
    }
}
