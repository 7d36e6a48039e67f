namespace QueryLab.Seed.Migrations;

/// <summary>One reviewed SQL file of the schema: <c>seed/Migrations/NNNN_name.sql</c>.</summary>
public sealed record MigrationFile(string Version, string Name, string Path, string Sql);
