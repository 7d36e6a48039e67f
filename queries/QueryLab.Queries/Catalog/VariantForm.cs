namespace QueryLab.Queries.Catalog;

/// <summary>
/// What a variant stands for in its library, so that a reviewer never reads a naive form as the library's answer: the
/// summary's "best EF Core × raw" and "best Dapper × raw" are taken over each library's best forms only.
/// </summary>
public enum VariantForm
{
    /// <summary>The library's best idiomatic way to ask this question (a library may have more than one).</summary>
    Best,

    /// <summary>A common way to write it that costs more than it should: what the scenario teaches to avoid.</summary>
    Naive,

    /// <summary>Another reasonable way (a second technique, or another library's SQL through this one), neither the best nor a mistake.</summary>
    Alternative,
}

public static class VariantForms
{
    /// <summary>"best form", "naive", "alternative": how reports and results.json label it.</summary>
    public static string Display(this VariantForm form) => form switch
    {
        VariantForm.Best => "best form",
        VariantForm.Naive => "naive",
        VariantForm.Alternative => "alternative",
        _ => form.ToString(),
    };
}
