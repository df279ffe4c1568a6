using Blog.PostService.Authentication;

namespace Blog.UnitTests.PostService;

/// <summary>The shape check in front of introspection: only what could be the user service's encrypted JWT passes.</summary>
public sealed class TokenShapeTests
{
    [Theory]
    [InlineData("eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0.a2V5.aXY.Y2lwaGVy.dGFn", true)]
    [InlineData("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn", true)] // direct encryption: no encrypted key
    [InlineData("junk", false)]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", false)] // a signed JWT
    [InlineData("a.b.c.d.e.f", false)]
    [InlineData(".a2V5.aXY.Y2lwaGVy.dGFn", false)]
    [InlineData("eyJh.a2V5.aXY.Y2lw+aGVy.dGFn", false)] // base64, not base64url
    [InlineData("eyJh.a2V5.aXY.Y2lwaGVy=.dGFn", false)] // padding
    public void Only_five_base64url_segments_pass(string token, bool passes)
        => Assert.Equal(passes, UnknownTokenGuard.HasIssuerTokenShape(token));

    [Fact]
    public void A_value_over_the_length_bound_does_not_pass()
        => Assert.False(UnknownTokenGuard.HasIssuerTokenShape($"eyJh.a2V5.aXY.{new string('A', UnknownTokenGuard.MaxTokenLength)}.dGFn"));
}
