"""Assessment (考核): the fact relation, the measures, the engine and its analytical path."""
