"""What the store's papers are to one researcher: profiles, ranking, trending, topic maps,
reviewer affinity."""
