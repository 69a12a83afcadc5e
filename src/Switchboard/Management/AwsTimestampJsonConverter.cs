using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Management;

/// <summary>
/// API Gateway's timestamps in the management API: ISO 8601 in UTC with exactly three fractional digits
/// (<c>2025-01-02T03:04:05.070Z</c>), which the SDKs' RFC 3339 parsers accept. System.Text.Json's own format would
/// write an offset and drop trailing zeros. Reading accepts any ISO 8601 form.
/// </summary>
public sealed class AwsTimestampJsonConverter : JsonConverter<DateTimeOffset>
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>The text the converter writes for <paramref name="time"/>, without the quotes.</summary>
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<byte> text = stackalloc byte[Pattern.Length];
        value.UtcDateTime.TryFormat(text, out var written, Pattern, CultureInfo.InvariantCulture);
        writer.WriteStringValue(text[..written]);
    }
}
