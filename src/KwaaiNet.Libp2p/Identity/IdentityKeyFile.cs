// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// Reads and writes the node's <c>identity.key</c>: a protobuf-encoded libp2p private key
/// (libp2p specs, peer-ids/peer-ids.md §Keys), the same bytes go-libp2p-daemon <c>-id</c> and
/// rust-libp2p <c>Keypair::to_protobuf_encoding</c> use, so a key moves between implementations.
/// The file is the operator's identity: it is only ever created, never overwritten, and a corrupt
/// file is reported rather than replaced.
/// </summary>
public static class IdentityKeyFile
{
    /// <summary>Largest file accepted; a libp2p RSA-8192 key is under 5 KiB.</summary>
    public const int MaxFileSize = 16 * 1024;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const string LockSuffix = ".lock";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Loads the identity at <paramref name="path"/>; when the file does not exist and
    /// <paramref name="allowCreate"/> is true, generates an Ed25519 identity and writes it atomically
    /// (owner-only permissions on Unix). Concurrent creators (threads or processes) serialize on a
    /// short-lived <c>.lock</c> file beside the key, so one creates the key and the others load it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist and <paramref name="allowCreate"/> is false.</exception>
    /// <exception cref="KeyFormatException">The file is too large or not a valid libp2p private key; it is left untouched.</exception>
    /// <exception cref="NotSupportedException">The file holds a Secp256k1 or ECDSA key.</exception>
    public static IdentityLoadResult LoadOrCreate(string path, bool allowCreate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (TryLoad(fullPath, out var existing))
        {
            return new IdentityLoadResult(existing, Created: false);
        }

        if (!allowCreate)
        {
            throw new FileNotFoundException(
                "The libp2p identity key file '" + fullPath + "' does not exist, and creating a new identity is not allowed.",
                fullPath);
        }

        // File.Move(overwrite: false) is not atomic on every Unix file system (the runtime may check for
        // the destination and then rename), so concurrent creators serialize on a lock file and re-check.
        var lockPath = fullPath + LockSuffix;
        Directory.CreateDirectory(GetDirectory(fullPath));
        IdentityLoadResult result;
        using (AcquireCreationLock(lockPath))
        {
            result = TryLoad(fullPath, out existing)
                ? new IdentityLoadResult(existing, Created: false)
                : CreateIdentity(fullPath);
        }

        // The key file exists now, so later callers never reach the lock; remove it (best effort).
        TryDelete(lockPath);
        return result;
    }

    /// <summary>Loads the identity at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="KeyFormatException">The file is too large or not a valid libp2p private key.</exception>
    /// <exception cref="NotSupportedException">The file holds a Secp256k1 or ECDSA key.</exception>
    public static NodeIdentity Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (!TryLoad(fullPath, out var identity))
        {
            throw new FileNotFoundException("The libp2p identity key file '" + fullPath + "' does not exist.", fullPath);
        }

        return identity;
    }

    /// <summary>
    /// Writes <paramref name="identity"/> to a new file at <paramref name="path"/> atomically, with
    /// owner-only permissions on Unix; an existing file is never replaced.
    /// </summary>
    /// <exception cref="IOException">The file already exists, or the write failed.</exception>
    public static void Create(string path, NodeIdentity identity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(identity);
        var fullPath = Path.GetFullPath(path);
        var lockPath = fullPath + LockSuffix;
        Directory.CreateDirectory(GetDirectory(fullPath));
        bool created;
        using (AcquireCreationLock(lockPath))
        {
            created = TryCreateExclusive(fullPath, identity.ToPrivateKeyProtobuf());
        }

        // Either way the key file exists now, so the lock file has served its purpose.
        TryDelete(lockPath);
        if (!created)
        {
            throw new IOException("The libp2p identity key file '" + fullPath + "' already exists; it is never overwritten.");
        }
    }

    private static bool TryLoad(string fullPath, [NotNullWhen(true)] out NodeIdentity? identity)
    {
        identity = null;
        byte[] bytes;
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);

            // Read at most one byte past the limit, so an oversized (or endless) file costs nothing.
            var buffer = new byte[MaxFileSize + 1];
            var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (length > MaxFileSize)
            {
                throw new KeyFormatException(string.Format(
                    CultureInfo.InvariantCulture,
                    "The libp2p identity key file '{0}' is larger than {1} bytes, so it is not a libp2p private key. It was left untouched.",
                    fullPath,
                    MaxFileSize));
            }

            bytes = buffer[..length];
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }

        try
        {
            identity = NodeIdentity.FromPrivateKeyProtobuf(bytes);
            return true;
        }
        catch (KeyFormatException ex)
        {
            throw new KeyFormatException(
                "The libp2p identity key file '" + fullPath + "' is corrupt: " + ex.Message
                + " It was left untouched; restore it from a backup, or move it aside to generate a new identity.",
                ex);
        }
        catch (NotSupportedException ex)
        {
            throw new NotSupportedException(
                "The libp2p identity key file '" + fullPath + "' holds an unsupported key: " + ex.Message, ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static IdentityLoadResult CreateIdentity(string fullPath)
    {
        var identity = NodeIdentity.GenerateEd25519();
        if (TryCreateExclusive(fullPath, identity.ToPrivateKeyProtobuf()))
        {
            return new IdentityLoadResult(identity, Created: true);
        }

        // Something outside the lock (another tool) created the file first: its key is the node's identity.
        return new IdentityLoadResult(Load(fullPath), Created: false);
    }

    /// <summary>
    /// Opens <paramref name="lockPath"/> exclusively, waiting up to <see cref="LockTimeout"/>. Exclusive
    /// sharing is an OS lock (a Windows share mode, <c>flock</c> on Unix), so it is released even when
    /// the holder crashes and it excludes other handles in this process as well as other processes
    /// (unless the runtime's file locking is disabled with <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>).
    /// </summary>
    private static FileStream AcquireCreationLock(string lockPath)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return new FileStream(lockPath, options);
            }
            catch (IOException) when (Stopwatch.GetElapsedTime(started) < LockTimeout)
            {
                Thread.Sleep(LockRetryDelay);
            }
            catch (IOException ex)
            {
                throw new IOException(
                    "Timed out waiting for the lock '" + lockPath + "' while creating the libp2p identity key; "
                    + "another process may be creating it.",
                    ex);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="contents"/> to a temporary file beside <paramref name="fullPath"/> and
    /// moves it into place without overwriting, so readers never see a partial key. Callers hold the
    /// creation lock, which makes the existence check reliable. Returns false when the file already exists.
    /// </summary>
    private static bool TryCreateExclusive(string fullPath, byte[] contents)
    {
        var directory = GetDirectory(fullPath);
        Directory.CreateDirectory(directory);
        if (File.Exists(fullPath))
        {
            CryptographicOperations.ZeroMemory(contents);
            return false;
        }

        var tempPath = Path.Combine(
            directory,
            "." + Path.GetFileName(fullPath) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + ".tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                // Owner-only from the first byte: the key is never readable by others, even briefly.
                options.UnixCreateMode = OwnerReadWrite;
            }

            using (var stream = new FileStream(tempPath, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The create mode is filtered by the umask; set it explicitly so it never depends on one.
                File.SetUnixFileMode(tempPath, OwnerReadWrite);
            }

            try
            {
                File.Move(tempPath, fullPath, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(fullPath))
            {
                return false;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
            TryDelete(tempPath);
        }
    }

    private static string GetDirectory(string fullPath) =>
        Path.GetDirectoryName(fullPath)
        ?? throw new ArgumentException("The identity key file path '" + fullPath + "' names no file inside a directory.", nameof(fullPath));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a stray temporary or lock file is harmless and never mistaken for the key file.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
