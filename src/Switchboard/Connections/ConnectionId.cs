using System.Buffers.Text;
using System.Security.Cryptography;

namespace Switchboard.Connections;

/// <summary>
/// Identifiers in API Gateway's shape: 11 random bytes as URL-safe base64, 16 characters ending in one
/// <c>=</c> (for example <c>R1kmxc2VNjMCFIA=</c>). Used for connection ids and request/message ids.
/// 88 bits from a cryptographic generator make ids unguessable.
/// </summary>
public static class ConnectionId
{
    /// <summary>Length of every id.</summary>
    public const int Length = 16;

    private const int RandomBytes = 11;

    /// <summary>Random bytes drawn from the cryptographic generator in blocks, so an id costs no system call.</summary>
    private const int BlockBytes = RandomBytes * 96;

    [ThreadStatic]
    private static byte[]? t_block;

    [ThreadStatic]
    private static int t_offset;

    /// <summary>Returns a new random id.</summary>
    public static string New()
    {
        var block = t_block ??= new byte[BlockBytes];
        if (t_offset == 0)
        {
            RandomNumberGenerator.Fill(block);
        }

        var bytes = block.AsSpan(t_offset, RandomBytes);
        t_offset = (t_offset + RandomBytes) % BlockBytes;
        Span<char> chars = stackalloc char[Length];
        Base64Url.EncodeToChars(bytes, chars[..15]);
        chars[15] = '=';
        return new string(chars);
    }

    /// <summary>True when <paramref name="id"/> has the shape of an id this gateway hands out.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> id)
    {
        if (id.Length != Length || id[^1] != '=')
        {
            return false;
        }

        foreach (var c in id[..^1])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }
}
