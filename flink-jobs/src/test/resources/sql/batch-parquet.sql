-- README example 2 with Parquet input (Flink's own parquet format): a directory of Parquet prompts -> ML_PREDICT
-- -> a directory of JSON-lines completions with their token counts and costs. Run with ./streamseek sql --file F.sql --batch.
CREATE TABLE prompts (id STRING, tenant STRING, prompt STRING)
  WITH ('connector' = 'filesystem', 'path' = '${IN}', 'format' = 'parquet');

CREATE TABLE completions (
  id STRING, tenant STRING, completion STRING, finish_reason STRING, prompt_tokens INT, completion_tokens INT,
  cost DECIMAL(24, 12), currency STRING, error STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE MODEL summarizer
  INPUT (prompt STRING, tenant STRING)
  OUTPUT (completion STRING, finish_reason STRING, prompt_tokens INT, completion_tokens INT, cost DECIMAL(24, 12),
          currency STRING, error STRING)
  WITH ('provider' = 'streamseek', 'model.path' = '${MODEL}', 'max-tokens' = '8', 'temperature' = '0', 'currency' = 'EUR');

INSERT INTO completions
  SELECT id, tenant, completion, finish_reason, prompt_tokens, completion_tokens, cost, currency, error
  FROM ML_PREDICT(TABLE prompts, MODEL summarizer, DESCRIPTOR(prompt, tenant));
