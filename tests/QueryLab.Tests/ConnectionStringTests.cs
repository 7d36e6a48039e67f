using Npgsql;
using QueryLab.Seed.Server;

namespace QueryLab.Tests;

[Trait("Category", "Serverless")]
public class ConnectionStringTests
{
    private const string Secret = "Sup3rS3cret";

    [Fact]
    public void Reads_the_keyword_form()
    {
        var b = ConnectionStrings.Parse($"Host=db.local;Port=6543;Username=app;Password={Secret};Database=lab;SSL Mode=Require");
        Assert.Equal(("db.local", 6543, "app", Secret, "lab", SslMode.Require), (b.Host, b.Port, b.Username, b.Password, b.Database, b.SslMode));
        Assert.Equal("app@db.local:6543/lab", ConnectionStrings.Describe(b));
    }

    [Theory]
    [InlineData("postgres://app:Sup3rS3cret@db.local:6543/lab", "db.local", 6543, "app", Secret, "lab")]
    [InlineData("postgresql://app@db.local/lab", "db.local", 5432, "app", null, "lab")]
    [InlineData("POSTGRES://db.local", "db.local", 5432, null, null, null)]
    [InlineData("postgres://app:p%40ss%3Aw%2Frd%25%20%C3%A9@db.local/my%20lab", "db.local", 5432, "app", "p@ss:w/rd% é", "my lab")]
    [InlineData("postgres://app:p@ss@db.local/lab", "db.local", 5432, "app", "p@ss", "lab")]
    [InlineData("postgres://app:pa:ss@[::1]:5433/lab", "::1", 5433, "app", "pa:ss", "lab")]
    [InlineData("postgres://app@[2001:db8::1]/lab", "2001:db8::1", 5432, "app", null, "lab")]
    public void Reads_the_url_form(string url, string host, int port, string? user, string? password, string? database)
    {
        var b = ConnectionStrings.Parse(url);
        Assert.Equal((host, port, user, password, database), (b.Host, b.Port, b.Username, b.Password, b.Database));
    }

    [Fact]
    public void Maps_libpq_query_parameters_to_npgsql_keywords()
    {
        var b = ConnectionStrings.Parse(
            "postgresql://neondb_owner:npg_Ab12@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require"
            + "&connect_timeout=10&application_name=querylab%20ci&options=-c%20statement_timeout%3D5s&sslrootcert=%2Fetc%2Fca.pem");
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal(ChannelBinding.Require, b.ChannelBinding);
        Assert.Equal(10, b.Timeout);
        Assert.Equal("querylab ci", b.ApplicationName);
        Assert.Equal("-c statement_timeout=5s", b.Options);
        Assert.Equal("/etc/ca.pem", b.RootCertificate);
        Assert.Equal(SslMode.VerifyFull, ConnectionStrings.Parse("postgres://h/db?sslmode=verify-full").SslMode);
        Assert.Equal(SslMode.VerifyCA, ConnectionStrings.Parse("postgres://h/db?sslmode=verify-ca").SslMode);
    }

    [Fact]
    public void Several_hosts_become_npgsql_multi_host()
    {
        var b = ConnectionStrings.Parse("postgres://app@primary:5432,standby:5433/lab?target_session_attrs=read-write");
        Assert.Equal("primary:5432,standby:5433", b.Host);
        Assert.Equal("read-write", b.TargetSessionAttributes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("postgres://")]
    [InlineData("postgres://app:Sup3rS3cret@/lab")]
    [InlineData("postgres://app:Sup3rS3cret@host:notaport/db")]
    [InlineData("postgres://app:Sup3rS3cret@host:99999/db")]
    [InlineData("postgres://app:Sup3rS3cret@host:/db")]
    [InlineData("postgres://app:Sup3rS3cret@host/db?sslmode=sometimes")]
    [InlineData("postgres://app:Sup3rS3cret@host/db?schema=public")]
    [InlineData("postgres://app:Sup3rS3cret@host/db?connect_timeout=soon")]
    [InlineData("postgres://app:Sup3rS3cret@host/db?sslmode")]
    [InlineData("postgres://app:Sup3r%zzS3cret@host/db")]
    [InlineData("postgres://app:Sup3r/S3cret@host/db")]
    [InlineData("postgres://app:Sup3r?S3cret@host/db")]
    [InlineData("postgres://app:Sup3r#S3cret@host/db")]
    [InlineData("postgres://app:Sup3rS3cret@[::1/db")]
    [InlineData("postgres://app:Sup3rS3cret@::1/db")]
    [InlineData("postgres://app:Sup3rS3cret@host/db/more")]
    [InlineData("mysql://app:Sup3rS3cret@host/db")]
    [InlineData("Host=;;=x")]
    [InlineData("Host=;Password=Sup3rS3cret")]
    [InlineData("Password=Sup3rS3cret;;=x")]
    [InlineData("garbage")]
    [InlineData("Sup3rS3cret")]
    [InlineData("Host=h;Password=Sup3r;S3cret;Database=d")]
    [InlineData("Host=h;Password=Sup3r;S3cret=x;Database=d")]
    [InlineData("Host=h;Pasword=Sup3rS3cret")]
    [InlineData("Host=h;Port=Sup3rS3cret;Password=Sup3rS3cret")]
    [InlineData("Host=h;SSL Mode=Sup3rS3cret;Password=Sup3rS3cret")]
    [InlineData("Host=h;Password='Sup3rS3cret")]
    public void Rejects_malformed_input_without_showing_the_password(string value)
    {
        var e = Assert.Throws<ConnectionStringException>(() => ConnectionStrings.Parse(value));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain("S3cret", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Sup3r", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Rejection_messages_name_the_problem()
    {
        static string Message(string v) => Assert.Throws<ConnectionStringException>(() => ConnectionStrings.Parse(v)).Message;
        Assert.Contains("'schema'", Message("postgres://h/db?schema=public"), StringComparison.Ordinal);
        Assert.Contains("sslmode", Message("postgres://h/db?schema=public"), StringComparison.Ordinal);
        Assert.Contains("port", Message("postgres://h:x/db"), StringComparison.Ordinal);
        Assert.Contains("'Pasword'", Message("Host=h;Pasword=x"), StringComparison.Ordinal);
        Assert.Contains("quote", Message("Host=h;Password=a;b;Database=d"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=h;Username=u;Password=Sup3rS3cret;Database=d", "Host=h;Username=u;Password=***;Database=d")]
    [InlineData("host=h; PWD = 'Sup3r;S3''cret' ;database=d", "host=h; PWD = *** ;database=d")]
    [InlineData("Host=h;Password=Sup3r;S3cret;Database=d", "Host=h;Password=***;***;Database=d")]
    [InlineData("Host=h;Password=Sup3r;S3cret=x;Database=d", "Host=h;Password=***;***;Database=d")]
    [InlineData("Host=h;Password=Sup3rS3cret;Application Name=x://y@z", "Host=h;Password=***;Application Name=x://y@z")]
    [InlineData("Host=h;SSL Password=Sup3rS3cret", "Host=h;SSL Password=***")]
    [InlineData("Host=h;Username=u", "Host=h;Username=u")]
    [InlineData("postgres://app:Sup3rS3cret@host:5432/db?sslmode=require", "postgres://app:***@host:5432/db?sslmode=require")]
    [InlineData("postgresql://app:Sup@3r/S3cret@host/db", "postgresql://app:***@host/db")]
    [InlineData("postgres://app:Sup3r?S3cret@host/db", "postgres://app:***@host/db")]
    [InlineData("postgres://app@host/db?password=Sup3rS3cret&sslmode=require", "postgres://app@host/db?password=***&sslmode=require")]
    [InlineData("postgres://host/db", "postgres://host/db")]
    public void Redacts_passwords_in_both_forms(string value, string expected) =>
        Assert.Equal(expected, ConnectionStrings.Redact(value));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("=;;==;'\"")]
    [InlineData("postgres://")]
    [InlineData("postgres://@")]
    [InlineData("postgres://:@?&=")]
    [InlineData("://x")]
    [InlineData("Password='unterminated")]
    [InlineData("Password=")]
    [InlineData(";;;")]
    public void Redact_never_throws(string? value)
    {
        var redacted = ConnectionStrings.Redact(value!);
        Assert.NotNull(redacted);
        Assert.DoesNotContain("unterminated", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_brackets_ipv6_and_never_shows_the_password()
    {
        var b = ConnectionStrings.Parse($"postgres://app:{Secret}@[::1]:5433/lab");
        Assert.Equal("app@[::1]:5433/lab", ConnectionStrings.Describe(b));
    }
}
