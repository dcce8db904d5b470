-- Version 6: the CLI no longer writes into a running node's database (it asks the node over
-- its local socket), so the outbox that carried its writes to the node is gone.
DROP TABLE outbox;
