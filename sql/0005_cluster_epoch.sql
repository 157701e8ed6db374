-- The cluster's generation epoch: generations handed out by Redis are its clock in microseconds plus
-- epoch × 10^12 (11.6 days). When a node finds Redis without the epoch it installed — Redis restarted
-- empty, or a replica took over, whose clock may be behind and which may have lost the newest
-- per-account generations — it bumps the epoch here, the durable truth, and installs the new one, so
-- every generation handed out afterwards is newer than any handed out before.

CREATE TABLE cluster_epoch (
    id    boolean PRIMARY KEY DEFAULT true,
    epoch bigint  NOT NULL,
    CONSTRAINT cluster_epoch_one_row CHECK (id),
    CONSTRAINT cluster_epoch_not_negative CHECK (epoch >= 0)
);

INSERT INTO cluster_epoch (epoch) VALUES (0);
