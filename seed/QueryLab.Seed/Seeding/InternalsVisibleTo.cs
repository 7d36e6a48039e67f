using System.Runtime.CompilerServices;

// The generator is internal; the tests check it without a database.
[assembly: InternalsVisibleTo("QueryLab.Tests")]
