namespace Switchboard.Protocol;

/// <summary>RFC 6455 close codes the gateway sends or reports, and the reasons it gives.</summary>
internal static class CloseCodes
{
    public const int NormalClosure = 1000;
    public const int GoingAway = 1001;
    public const int ProtocolError = 1002;
    public const int UnsupportedData = 1003;
    public const int NoStatusReceived = 1005;
    public const int AbnormalClosure = 1006;
    public const int InvalidPayloadData = 1007;
    public const int PolicyViolation = 1008;
    public const int MessageTooBig = 1009;
    public const int InternalError = 1011;

    /// <summary>True for codes a peer may put into a close frame (RFC 6455 section 7.4).</summary>
    public static bool IsValidOnWire(int code) =>
        code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;
}
