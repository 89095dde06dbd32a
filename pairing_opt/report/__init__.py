"""Results turned into text, tables, workbooks and images for people and scripts."""
