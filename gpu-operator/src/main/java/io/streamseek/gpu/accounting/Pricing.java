package io.streamseek.gpu.accounting;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

/**
 * What a device-hour costs: a request's cost is its share of device time times this price.
 *
 * @param pricePerDeviceHour the price of one hour of the whole device (all its cores, or one GPU)
 * @param currency ISO 4217 code, e.g. USD
 * @param device what a device-hour is, in words, e.g. {@code cpu} or {@code H100}
 */
public record Pricing(BigDecimal pricePerDeviceHour, String currency, String device) {

    /** 1.00 USD per CPU device-hour: a placeholder; configure your own. */
    public static final Pricing DEFAULT = new Pricing(new BigDecimal("1.00"), "USD", "cpu");

    /** Decimal places of amounts: the scale of the {@code TokenCost} schema's decimals. */
    public static final int SCALE = 12;

    private static final BigDecimal NANOS_PER_HOUR = BigDecimal.valueOf(3_600_000_000_000L);

    public Pricing {
        if (pricePerDeviceHour.signum() < 0) {
            throw new IllegalArgumentException("the price per device-hour cannot be negative, was " + pricePerDeviceHour);
        }
        try {
            Currency.getInstance(currency);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + currency + "' is not an ISO 4217 currency code");
        }
    }

    /** {@code deviceNanos} as hours times the price, rounded half-even to {@link #SCALE} places. */
    public BigDecimal cost(long deviceNanos) {
        return pricePerDeviceHour.multiply(BigDecimal.valueOf(deviceNanos)).divide(NANOS_PER_HOUR, SCALE, RoundingMode.HALF_EVEN);
    }

    /** How an amount was derived, in words: the {@code price_basis} of the schema. */
    public String basis() {
        return "device-time share x " + pricePerDeviceHour.toPlainString() + " " + currency + " per device-hour (" + device + ")";
    }
}
