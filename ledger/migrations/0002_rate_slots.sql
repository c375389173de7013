-- Status calls per merchant and second, one row per call taken: slot 0 to
-- (rate - 1). Concurrent takers insert different rows, where the counter
-- row of version 1 made each wait for the one before it to commit (on
-- PostgreSQL, a flush to disk each). Its rows only ever mattered for the
-- second they counted, so none are carried over.
DROP TABLE pasarela_rate;
CREATE TABLE pasarela_rate_slots (
    bucket  TEXT   NOT NULL,
    second  BIGINT NOT NULL,
    slot    BIGINT NOT NULL,
    PRIMARY KEY (bucket, second, slot)
);
