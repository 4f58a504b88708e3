"""Publishing: entity documents, dumps, the dataset's descriptions and the pages' view models."""
