using Blog.ServiceDefaults.Revocation;

namespace Blog.UnitTests.Revocation;

/// <summary>
/// The revocation event's wire format: what the user service publishes and stores in its outbox, and every post
/// service instance reads. It must not change between versions (rows written by one version are published by the next,
/// and instances of two versions run side by side during a deployment).
/// </summary>
public sealed class RevocationContractTests
{
    [Fact]
    public void An_event_is_written_with_camel_case_names_and_every_field()
    {
        var json = RevocationContract.Serialize(new RevocationEvent("ab12", null, 1_700_000_000_000, 1_700_000_000_005, "auth-1"));

        Assert.Equal("""{"tokenHash":"ab12","subject":null,"notBeforeUnixMs":1700000000000,"publishedUnixMs":1700000000005,"authorizationId":"auth-1"}""", json);
    }

    [Theory]
    // As every version so far wrote it (outbox rows, events in flight).
    [InlineData("""{"tokenHash":"ab12","subject":null,"notBeforeUnixMs":1700000000000,"publishedUnixMs":1700000000005,"authorizationId":"auth-1"}""")]
    // Names in another case, numbers as strings, the optional field absent: read alike.
    [InlineData("""{"TokenHash":"ab12","Subject":null,"NotBeforeUnixMs":"1700000000000","PublishedUnixMs":1700000000005,"authorizationId":"auth-1"}""")]
    public void An_event_is_read_back_whole(string json)
    {
        Assert.Equal(new RevocationEvent("ab12", null, 1_700_000_000_000, 1_700_000_000_005, "auth-1"), RevocationContract.Deserialize(json));
    }

    [Fact]
    public void An_event_without_its_optional_login_is_read_with_none()
    {
        Assert.Equal(new RevocationEvent(null, "user-1", 5, 6), RevocationContract.Deserialize("""{"tokenHash":null,"subject":"user-1","notBeforeUnixMs":5,"publishedUnixMs":6}"""));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"tokenHash":""")]
    public void A_message_that_is_not_an_event_is_refused(string message)
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => RevocationContract.Deserialize(message));
    }
}
