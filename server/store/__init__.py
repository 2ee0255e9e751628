"""The idea store: the database engine and migrations, the tables, and the queries over
SQLite and PostgreSQL."""
