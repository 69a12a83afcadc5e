namespace Switchboard.Management;

/// <summary>The body of a broadcast (<c>POST /{stage}/@broadcast</c>, a Switchboard extension): <c>{"recipients":N}</c>.</summary>
/// <param name="Recipients">How many connections the message was queued to; clients whose queue is full are not counted.</param>
public sealed record BroadcastResponse(long Recipients);
