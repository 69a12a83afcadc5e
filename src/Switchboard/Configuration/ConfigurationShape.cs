using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Switchboard.Configuration;

/// <summary>
/// Finds configuration keys that bind to nothing — a typo such as <c>Switchboard:Stagee</c> or
/// <c>Routes:0:Integraton</c> — and values that do not convert to their option's type (the binder would drop a
/// whole route over one of those without a word), and names each with its full path.
/// </summary>
internal static class ConfigurationShape
{
    public static IEnumerable<string> Find(IConfigurationSection section, Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.CanWrite)
            .ToDictionary(property => property.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                var suggestion = properties.Keys.MinBy(name => Distance(name, child.Key));
                yield return $"{child.Path}: unknown key" + (suggestion is not null && Distance(suggestion, child.Key) <= 3 ? $" (did you mean '{suggestion}'?)" : "");
                continue;
            }

            foreach (var error in FindInValue(child, property.PropertyType))
            {
                yield return error;
            }
        }
    }

    private static IEnumerable<string> FindInValue(IConfigurationSection section, Type type)
    {
        if (IsScalar(type))
        {
            return section.Value is { } value && !Converts(value, type)
                ? [$"{section.Path}: '{value}' is not a valid {Describe(type)}"]
                : [];
        }

        if (typeof(IDictionary).IsAssignableFrom(type))
        {
            return [];
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var itemType = type.GetGenericArguments()[0];
            return section.GetChildren().SelectMany(item => FindInValue(item, itemType));
        }

        return Find(section, type);
    }

    private static bool Converts(string value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (value.Length == 0 && target != type)
        {
            return true;
        }

        try
        {
            TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return target == typeof(TimeSpan) ? "time span (hh:mm:ss)" : target == typeof(bool) ? "boolean (true or false)" : target == typeof(int) ? "whole number" : target.Name;
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal);
    }

    /// <summary>Levenshtein distance, case-insensitive.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
