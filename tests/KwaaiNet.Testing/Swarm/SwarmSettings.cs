// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Testing.Inference;

namespace KwaaiNet.Testing.Swarm;

/// <summary>The settings every node of a test swarm shares: one generated model file and short periods.</summary>
public sealed class SwarmSettings : IDisposable
{
    /// <summary>The model's name on the network (its KwaaiNet DHT prefix).</summary>
    public const string Model = "swarm-tiny";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kwaainet-swarm-" + Guid.NewGuid().ToString("N"));

    /// <summary>Writes the model file: <see cref="TinyLlamaGguf.Default"/>'s shape, or <paramref name="shape"/>, with <paramref name="layers"/> layers.</summary>
    /// <param name="layers">The model's layer count.</param>
    /// <param name="renewalPeriod">The announcer's renewal period.</param>
    /// <param name="recordTtl">The announced records' time to live.</param>
    /// <param name="crawlPeriod">The map crawler's period.</param>
    /// <param name="shape">The model's shape (its layer count is replaced); null for <see cref="TinyLlamaGguf.Default"/>.</param>
    /// <param name="threads">The workers' ONNX Runtime intra-op threads; 0 for the worker's default.</param>
    public SwarmSettings(int layers, TimeSpan renewalPeriod, TimeSpan recordTtl, TimeSpan crawlPeriod, LlamaConfig? shape = null, int threads = 0)
    {
        Layers = layers;
        RenewalPeriod = renewalPeriod;
        RecordTtl = recordTtl;
        CrawlPeriod = crawlPeriod;
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, Model + ".gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 5, (shape ?? TinyLlamaGguf.Default) with { LayerCount = layers });
        var settings = new Dictionary<string, string?>
        {
            ["KwaaiNet:Node:model"] = Model,
            ["KwaaiNet:Inference:ModelPath"] = path,
            ["KwaaiNet:Inference:ThroughputWarmupSteps"] = "1",
            ["KwaaiNet:Inference:ThroughputSteps"] = "2",
            ["KwaaiNet:Announcer:RenewalPeriod"] = Span(renewalPeriod),
            ["KwaaiNet:Announcer:RenewalJitter"] = Span(renewalPeriod / 10),
            ["KwaaiNet:Announcer:RecordTtl"] = Span(recordTtl),
            ["KwaaiNet:Announcer:RetryDelay"] = "00:00:00.500",
            ["KwaaiNet:Map:CrawlPeriod"] = Span(crawlPeriod),
        };
        if (threads > 0)
        {
            settings["KwaaiNet:Inference:Threads"] = threads.ToString(CultureInfo.InvariantCulture);
        }

        Settings = settings;
    }

    public int Layers { get; }

    public TimeSpan RenewalPeriod { get; }

    public TimeSpan RecordTtl { get; }

    public TimeSpan CrawlPeriod { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still mapped by a node that is shutting down; the temp folder is cleaned by the system.
        }
    }

    private static string Span(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
