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
    /// <summary>Where docs/configuration.md lists the keys that moved between versions.</summary>
    private const string MovedKeysDocument = "docs/configuration.md#moved-keys";

    /// <summary>
    /// Every problem in the part of the configuration <paramref name="owner"/> owns. Parts owned by other
    /// <paramref name="sections"/> are left to them; a key that one of them lists as moved is reported with its new path.
    /// </summary>
    public static IEnumerable<string> Find(IConfiguration configuration, SwitchboardConfigurationSection owner, IEnumerable<SwitchboardConfigurationSection> sections)
    {
        var all = sections.ToList();
        var context = new Context(
            all.Where(section => !section.FullPath.Equals(owner.FullPath, StringComparison.OrdinalIgnoreCase)).Select(section => section.FullPath).ToHashSet(StringComparer.OrdinalIgnoreCase),
            all.SelectMany(section => section.MovedKeys).DistinctBy(moved => moved.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(
                moved => $"{SwitchboardOptions.SectionName}:{moved.Key}",
                moved => moved.Value.Length == 0 ? "" : $"{SwitchboardOptions.SectionName}:{moved.Value}",
                StringComparer.OrdinalIgnoreCase));
        return Find(configuration.GetSection(owner.FullPath), owner.OptionsType, context);
    }

    private static IEnumerable<string> Find(IConfigurationSection section, Type type, Context context)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.CanWrite)
            .ToDictionary(property => property.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (context.IsOwnedElsewhere(child.Path))
            {
                continue;
            }

            var errors = properties.TryGetValue(child.Key, out var property)
                ? FindInValue(child, property.PropertyType, context)
                : FindUnknown(child, properties.Keys, context);
            foreach (var error in errors)
            {
                yield return error;
            }
        }
    }

    /// <summary>A key the options type does not have: a level on the way to another package's part, a moved key, or a typo.</summary>
    private static IEnumerable<string> FindUnknown(IConfigurationSection child, IEnumerable<string> siblings, Context context)
    {
        if (context.LeadsToOwnedPart(child.Path))
        {
            // Only the owned parts (and the levels above them) may be below it.
            return child.GetChildren()
                .Where(grandchild => !context.IsOwnedElsewhere(grandchild.Path))
                .SelectMany(grandchild => FindUnknown(grandchild, [], context));
        }

        var moved = Leaves(child).Where(context.Moved.ContainsKey).ToList();
        if (moved.Count > 0)
        {
            return moved.Select(path => context.Moved[path] is { Length: > 0 } target
                ? $"{path}: moved to {target} (see {MovedKeysDocument})"
                : $"{path}: no longer used (see {MovedKeysDocument})");
        }

        var suggestion = siblings.MinBy(name => Distance(name, child.Key));
        return [$"{child.Path}: unknown key" + (suggestion is not null && Distance(suggestion, child.Key) <= 3 ? $" (did you mean '{suggestion}'?)" : "")];
    }

    private static IEnumerable<string> Leaves(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        return children.Count == 0 ? [section.Path] : children.SelectMany(Leaves);
    }

    private static IEnumerable<string> FindInValue(IConfigurationSection section, Type type, Context context)
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
            return section.GetChildren().SelectMany(item => FindInValue(item, itemType, context));
        }

        return Find(section, type, context);
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

    /// <param name="OwnedElsewhere">Full paths of the parts other packages own.</param>
    /// <param name="Moved">Full old path → full new path, or empty when the key was removed.</param>
    private sealed record Context(HashSet<string> OwnedElsewhere, Dictionary<string, string> Moved)
    {
        public bool IsOwnedElsewhere(string path) => OwnedElsewhere.Contains(path);

        public bool LeadsToOwnedPart(string path) => OwnedElsewhere.Any(owned => owned.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase));
    }
}
