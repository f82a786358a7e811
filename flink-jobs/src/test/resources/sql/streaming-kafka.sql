-- README example 1 (streaming): JSON tickets from Kafka -> ML_PREDICT -> answers on Kafka, exactly once,
-- and the cost per tenant and minute -> another topic. StreamingSqlExampleITCase runs it with a failure injected.
CREATE TABLE tickets (
  id STRING, tenant STRING, prompt STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka', 'topic' = 'tickets', 'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = 'support-${RUN}', 'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',  -- the test's run ends; a service leaves it out
  'format' = 'json'
);

CREATE TABLE answers (
  id STRING, tenant STRING, completion STRING, finish_reason STRING, completion_tokens INT, cost DECIMAL(24, 12)
) WITH (
  'connector' = 'kafka', 'topic' = 'answers-${RUN}', 'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'answers-${RUN}',
  'properties.transaction.timeout.ms' = '600000'
);

CREATE TABLE tenant_costs (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), tenant STRING, requests BIGINT, cost DECIMAL(38, 12)
) WITH (
  'connector' = 'kafka', 'topic' = 'costs-${RUN}', 'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'costs-${RUN}',
  'properties.transaction.timeout.ms' = '600000'
);

CREATE MODEL support
  INPUT (prompt STRING, tenant STRING)
  OUTPUT (completion STRING, finish_reason STRING, completion_tokens INT, cost DECIMAL(24, 12))
  WITH ('provider' = 'streamseek', 'model.path' = '${MODEL}', 'max-tokens' = '6');

CREATE TEMPORARY VIEW predictions AS
  SELECT * FROM ML_PREDICT(TABLE tickets, MODEL support, DESCRIPTOR(prompt, tenant));

-- One job: both inserts read the same predictions (each ticket is generated once).
EXECUTE STATEMENT SET
BEGIN
  INSERT INTO answers
    SELECT id, tenant, completion, finish_reason, completion_tokens, cost FROM predictions WHERE fail_once(id);
  INSERT INTO tenant_costs
    SELECT window_start, window_end, tenant, COUNT(*), SUM(cost)
    FROM TABLE(TUMBLE(TABLE predictions, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
    GROUP BY window_start, window_end, tenant;
END;
