package io.streamseek.flink.sql;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Statements split as the SQL client splits a file. */
class SqlScriptTest {

    @Test
    void semicolonsInQuotesAndCommentsDoNotEndAStatement() {
        List<String> statements = SqlScript.statements("""
                -- a comment; with a semicolon
                SET 'table.exec.async-ml-predict.timeout' = '5 min';
                CREATE TABLE t (a STRING) WITH ('connector' = 'filesystem', 'path' = '/x;y', 'format' = 'json'); /* c; */
                INSERT INTO t SELECT 'it''s; here' FROM u
                """);
        assertThat(statements).containsExactly(
                "SET 'table.exec.async-ml-predict.timeout' = '5 min'",
                "CREATE TABLE t (a STRING) WITH ('connector' = 'filesystem', 'path' = '/x;y', 'format' = 'json')",
                "INSERT INTO t SELECT 'it''s; here' FROM u");
    }

    @Test
    void aStatementSetIsOneStatement() {
        List<String> statements = SqlScript.statements("""
                CREATE VIEW v AS SELECT 1;
                EXECUTE STATEMENT SET
                BEGIN
                  INSERT INTO a SELECT * FROM v;
                  INSERT INTO b SELECT * FROM v;
                END;
                SELECT 2;
                """);
        assertThat(statements).hasSize(3);
        assertThat(statements.get(1)).startsWith("EXECUTE STATEMENT SET").endsWith("END")
                .contains("INSERT INTO a SELECT * FROM v;").contains("INSERT INTO b SELECT * FROM v;");
        assertThat(statements.get(2)).isEqualTo("SELECT 2");
    }

    @Test
    void unterminatedPartsAreNamedWithTheirLine() {
        assertThatThrownBy(() -> SqlScript.statements("SELECT 1;\nSELECT 'open;\n"))
                .hasMessage("line 2: a ' quote is not closed");
        assertThatThrownBy(() -> SqlScript.statements("SELECT 1; /* never closed"))
                .hasMessage("line 1: a /* comment is not closed");
        assertThatThrownBy(() -> SqlScript.statements("\nEXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;"))
                .hasMessage("line 2: EXECUTE STATEMENT SET BEGIN has no END;");
    }
}
