package io.streamseek.gpu.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The identity of a full cache block: a hash chained over every token of the sequence up to the
 * block's end, so equal hashes mean equal prefixes, salted per tenant so that no two tenants can
 * share — or time — each other's blocks. 128 bits of SHA-256.
 */
public record BlockHash(long high, long low) {

    /** The salt of one tenant: HMAC-SHA256 under a secret key of the length-framed tenant id. */
    public static byte[] tenantSalt(byte[] secret, String tenantId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] id = tenantId.getBytes(StandardCharsets.UTF_8);
            // Length-framed, so that no tenant id is a prefix-extension of another's input.
            mac.update(ByteBuffer.allocate(4).putInt(id.length).array());
            return mac.doFinal(id);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    /** The hash of the block holding {@code tokens[from, from + count)}, chained on the previous block's hash. */
    public static BlockHash of(BlockHash previous, byte[] tenantSalt, int[] tokens, int from, int count) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
        }
        ByteBuffer buffer = ByteBuffer.allocate(16 + 4 + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(previous == null ? 0 : previous.high).putLong(previous == null ? 0 : previous.low).putInt(count);
        for (int i = 0; i < count; i++) {
            buffer.putInt(tokens[from + i]);
        }
        sha.update(tenantSalt);
        sha.update(buffer.array());
        ByteBuffer digest = ByteBuffer.wrap(sha.digest());
        return new BlockHash(digest.getLong(), digest.getLong());
    }
}
