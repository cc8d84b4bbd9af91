// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace KwaaiNet.Carbon.Energy;

/// <summary>
/// Reads one powercap sysfs attribute. Attributes are a single short line (a name or a decimal
/// counter), so reads are capped: a root pointed at the wrong place cannot make us slurp a large file.
/// </summary>
internal static class PowercapFile
{
    /// <summary>The most bytes an attribute may hold; a 64-bit counter needs 20 digits.</summary>
    public const int MaxBytes = 64;

    /// <summary>Reads an attribute's trimmed text, or says why it could not.</summary>
    public static bool TryReadText(
        string path,
        [NotNullWhen(true)] out string? text,
        [NotNullWhen(false)] out string? error)
    {
        // One byte more than allowed, so that an oversized file is detected rather than truncated.
        Span<byte> buffer = stackalloc byte[MaxBytes + 1];
        var length = 0;
        try
        {
            // sysfs reports a size of 4096 for every attribute, so the size cannot be trusted:
            // read until end of file or until the buffer is full.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            while (length < buffer.Length)
            {
                var read = RandomAccess.Read(handle, buffer[length..], length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            text = null;
            error = $"{path} is a directory, not a powercap attribute";
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            // Since Linux 5.10 energy_uj is mode 0400 (root only), closing the power side channel
            // of CVE-2020-8694 (PLATYPUS).
            text = null;
            error = $"permission denied reading {path}: since Linux 5.10 RAPL energy counters are readable "
                + "only by root (CVE-2020-8694); run the node as root or grant it read access to the file";
            return false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            text = null;
            error = $"{path} does not exist";
            return false;
        }
        catch (IOException ex)
        {
            text = null;
            error = $"could not read {path}: {ex.Message}";
            return false;
        }

        if (length > MaxBytes)
        {
            text = null;
            error = $"{path} holds more than {MaxBytes} bytes, which no powercap attribute does";
            return false;
        }

        text = Encoding.UTF8.GetString(buffer[..length]).Trim();
        error = null;
        return true;
    }

    /// <summary>Reads an attribute holding an unsigned decimal counter, e.g. <c>energy_uj</c>.</summary>
    public static bool TryReadCounter(string path, out ulong value, [NotNullWhen(false)] out string? error)
    {
        if (!TryReadText(path, out var text, out error))
        {
            value = 0;
            return false;
        }

        // NumberStyles.None: digits only. The kernel prints counters with "%llu"; a sign, a decimal
        // point or thousands separators mean the file is not what we think it is.
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = $"{path} does not hold an unsigned decimal counter";
            return false;
        }

        return true;
    }
}
