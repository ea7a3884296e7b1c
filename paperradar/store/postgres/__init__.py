"""The PostgreSQL store (with pgvector): the server backend for groups and institutions."""
