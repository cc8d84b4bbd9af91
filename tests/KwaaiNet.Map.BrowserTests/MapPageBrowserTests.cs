// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KwaaiNet.Map.BrowserTests;

/// <summary>The <c>/map</c> page in headless chromium: what it shows, its live refresh, and axe's accessibility rules.</summary>
public sealed class MapPageBrowserTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    /// <summary>Long enough for a few refresh ticks of one second on a loaded machine.</summary>
    private const float RefreshTimeoutMs = 30_000;

    [Fact]
    public async Task Map_TwoModelsThreeServers_ShowsModelsCoverageServersPledgeAndCarbon()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MapPageServer.StartAsync(SampleMaps.TwoModelsThreeServers(), ct);
        await using var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();

        var response = await page.GotoAsync(Url(server, "/map"));

        Assert.Equal(200, response?.Status);
        await Expect(page).ToHaveTitleAsync("KwaaiNet network map");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1, Name = "KwaaiNet network map" })).ToBeVisibleAsync();
        await Expect(page.Locator("#num-peers")).ToHaveTextAsync("3");
        await Expect(page.Locator("#num-blocks")).ToHaveTextAsync("8");

        // Each model: its heading, one coverage cell per block with its accessible text, the legend.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 3, Name = SampleMaps.Llama })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 3, Name = SampleMaps.Qwen })).ToBeVisibleAsync();
        var llamaCells = page.GetByRole(AriaRole.List, new() { Name = "Block coverage of " + SampleMaps.Llama }).GetByRole(AriaRole.Listitem);
        var qwenCells = page.GetByRole(AriaRole.List, new() { Name = "Block coverage of " + SampleMaps.Qwen }).GetByRole(AriaRole.Listitem);
        await Expect(llamaCells).ToHaveCountAsync(8);
        await Expect(qwenCells).ToHaveCountAsync(4);
        await Expect(llamaCells.Nth(3)).ToHaveAccessibleNameAsync("block 3: 1 server");
        await Expect(llamaCells.Nth(3)).ToHaveAttributeAsync("title", "block 3: 1 server");
        await Expect(qwenCells.Nth(0)).ToHaveAccessibleNameAsync("block 0: 0 servers");
        await Expect(page.GetByText("3 or more servers").First).ToBeVisibleAsync();
        await Expect(page.GetByText("Llama-3-1-8B-Instruct-hf")).ToBeVisibleAsync();

        // The servers: state as text, relay, pledge badge only on alice's row, carbon when measured.
        var alice = Row(page, SampleMaps.Alice);
        var bob = Row(page, SampleMaps.Bob);
        var carol = Row(page, SampleMaps.Carol);
        await Expect(alice.Locator("td")).ToHaveTextAsync(["alice-linux-x64/v0.1.0", "..." + SampleMaps.Alice[^6..], "0–8", "online", "12.5", "no", "GliaNet pledge", "42.5 W / 1200 J"]);
        await Expect(bob.Locator("td")).ToHaveTextAsync(["bob-macos-arm64/v0.1.0", "..." + SampleMaps.Bob[^6..], "4–8", "joining", "10", "no", "—", "—"]);
        await Expect(carol.Locator("td")).ToHaveTextAsync(["carol-win-x64/v0.1.0", "..." + SampleMaps.Carol[^6..], "0–4", "offline", "0", "yes", "—", "—"]);
        await Expect(page.GetByText("GliaNet pledge", new() { Exact = true })).ToHaveCountAsync(1);
        await Expect(alice.GetByText("GliaNet pledge", new() { Exact = true })).ToBeVisibleAsync();

        await Expect(page.Locator("#carbon")).ToHaveTextAsync("3600.25 J from rapl, 55.5 W average (at 2026-03-04 05:06:07Z).");
        await Expect(page.Locator("#reachability")).ToContainTextAsync("no answer to rpc_info within 5 s");

        var screenshot = Path.Combine(RepositoryRoot(), "artifacts", "screenshots", "map.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine("Screenshot of /map: " + screenshot);
        Assert.True(new FileInfo(screenshot).Length > 0);
    }

    [Fact]
    public async Task Map_DocumentChanges_LiveRefreshSwapsInTheNewServerWithoutReloading()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MapPageServer.StartAsync(SampleMaps.TwoModelsThreeServers(), ct);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(server, "/map?refresh=1"));
        await Expect(page.Locator("#live")).ToBeVisibleAsync();
        await Expect(page.Locator("#live")).ToContainTextAsync("Live updates every 1 s.");
        await page.EvaluateAsync("() => { window.mapMarker = 'same document'; }");
        await Expect(Row(page, SampleMaps.Dave)).ToHaveCountAsync(0);

        server.Document = SampleMaps.WithDaveOnQwen();

        await Expect(Row(page, SampleMaps.Dave)).ToContainTextAsync("dave-linux-arm64/v0.1.0", new() { Timeout = RefreshTimeoutMs });
        await Expect(page.Locator("#num-peers")).ToHaveTextAsync("4");
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Block coverage of " + SampleMaps.Qwen }).GetByRole(AriaRole.Listitem).Nth(0))
            .ToHaveAccessibleNameAsync("block 0: 1 server");
        Assert.Equal("same document", await page.EvaluateAsync<string>("() => window.mapMarker"));
        await Expect(page.Locator("main#map")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Map_PauseButton_TogglesPressedState()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MapPageServer.StartAsync(SampleMaps.TwoModelsThreeServers(), ct);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(server, "/map"));
        var pause = page.GetByRole(AriaRole.Button, new() { Name = "Pause live updates" });

        await pause.ClickAsync();
        await Expect(pause).ToHaveAttributeAsync("aria-pressed", "true");
        await pause.ClickAsync();
        await Expect(pause).ToHaveAttributeAsync("aria-pressed", "false");
    }

    [Fact]
    public async Task Map_WithoutJavaScript_ShowsTheSameContentAndNoLiveControls()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await MapPageServer.StartAsync(SampleMaps.TwoModelsThreeServers(), ct);
        await using var context = await chromium.Browser.NewContextAsync(new() { JavaScriptEnabled = false });
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url(server, "/map"));

        await Expect(page.Locator("#live")).ToBeHiddenAsync();
        await Expect(Row(page, SampleMaps.Carol)).ToContainTextAsync("offline");
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Block coverage of " + SampleMaps.Llama }).GetByRole(AriaRole.Listitem)).ToHaveCountAsync(8);
    }

    [Theory]
    [InlineData("two models, three servers")]
    [InlineData("empty")]
    [InlineData("after a live refresh")]
    public async Task Map_Axe_ReportsNoViolations(string state)
    {
        var ct = TestContext.Current.CancellationToken;
        var document = state == "empty" ? SampleMaps.Empty() : SampleMaps.TwoModelsThreeServers();
        await using var server = await MapPageServer.StartAsync(document, ct);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(server, "/map?refresh=1"));
        await Expect(page.Locator("#live")).ToBeVisibleAsync();
        if (state == "after a live refresh")
        {
            server.Document = SampleMaps.WithDaveOnQwen();
            await Expect(Row(page, SampleMaps.Dave)).ToHaveCountAsync(1, new() { Timeout = RefreshTimeoutMs });
        }

        var result = await page.RunAxe();

        output.WriteLine(Describe(result.Violations));
        Assert.True(result.Violations.Length == 0, Describe(result.Violations));
        Assert.NotEmpty(result.Passes);
    }

    private static ILocator Row(IPage page, string peerId) => page.Locator($"tr[data-peer-id='{peerId}']");

    private static string Url(MapPageServer server, string pathAndQuery) => new Uri(server.BaseAddress, pathAndQuery).ToString();

    private static string Describe(AxeResultItem[] violations)
    {
        if (violations.Length == 0)
        {
            return "axe: no violations";
        }

        var text = new StringBuilder().Append("axe: ").Append(violations.Length).AppendLine(" violation(s)");
        foreach (var violation in violations)
        {
            text.Append("- ").Append(violation.Id).Append(" (").Append(violation.Impact).Append("): ").AppendLine(violation.Help);
            foreach (var node in violation.Nodes)
            {
                text.Append("    ").Append(node.Target).Append(": ").AppendLine(node.Html);
            }
        }

        return text.ToString();
    }

    /// <summary>The folder that holds KwaaiNet.Aspire.sln, found by walking up from the test's base directory.</summary>
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "KwaaiNet.Aspire.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("KwaaiNet.Aspire.sln was not found above " + AppContext.BaseDirectory + ".");
    }
}
