namespace QueryLab.Queries.Catalog;

/// <summary>The three ways an application talks to PostgreSQL that QueryLab compares.</summary>
public enum Library
{
    EfCore,
    Dapper,
    Npgsql,
}

public static class LibraryNames
{
    public static string Display(this Library library) => library switch
    {
        Library.EfCore => "EF Core",
        Library.Dapper => "Dapper",
        Library.Npgsql => "Npgsql",
        _ => library.ToString(),
    };
}
