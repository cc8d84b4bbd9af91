// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Playwright;

namespace KwaaiNet.Map.BrowserTests;

/// <summary>
/// The system's headless chromium (Debian's <c>chromium</c> package; <c>.ci/run</c> installs it) driven by Playwright,
/// which never downloads a browser here. One browser per test class; each test opens its own context.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    /// <summary>Where Debian installs chromium; <c>KWAAINET_CHROMIUM</c> overrides it.</summary>
    public const string DefaultPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable("KWAAINET_CHROMIUM") is { Length: > 0 } configured ? configured : DefaultPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The map's browser tests need chromium at {path} (apt-get install chromium; .ci/run installs it), or KWAAINET_CHROMIUM set to its path.");
        }

        _playwright = await Playwright.CreateAsync();

        // A non-persistent launch starts chromium with a fresh temporary user data dir, deleted on close. CI runs as
        // root, hence --no-sandbox; the rest keeps chromium from reaching the network on its own.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
