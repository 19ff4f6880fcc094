-- One database per service, created on PostgreSQL's first start (an empty data directory).
-- Adding a service later on an existing volume: kubectl -n lacak exec postgres-0 -- createdb -U lacak <name>
CREATE DATABASE goals;
CREATE DATABASE inventory;
CREATE DATABASE lacak_monitoring;
CREATE DATABASE lacak_strategy;
