// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Testing.Inference;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Benchmarks.Inference;

/// <summary>
/// The whole Llama model on ONNX Runtime (embedding graph, one span of every decoder layer through
/// <see cref="SpanSessionManager"/>, final norm and head graph) against llama.cpp through LLamaSharp (fp32 KV cache, no
/// flash attention), both on the CPU with the same thread count, from one generated F32 GGUF with TinyLlama-1.1B's
/// layer sizes (4 of its 22 layers; --quick: 2 layers of half the width and an 8,000-token vocabulary). Figures:
/// prefill tokens/s (one prompt in one step), decode tokens/s (single-token steps after a warm-up, greedy), and the
/// resident memory the load adds (process working set after loading minus before) against the weights' bytes, for
/// ours with ONNX Runtime's weight prepacking on and off. Ends with a PASS/FAIL line per target.
/// </summary>
/// <remarks>
/// Each round opens a fresh sequence on both sides (a new span session, a new llama.cpp context) and the rounds
/// alternate between the two, so that a slow stretch of the machine hits both; one untimed round comes first. Each
/// resident figure is taken in a child process of this program, so that no load reuses memory an earlier one freed. The GGUF file is written once per run
/// into a temporary folder and deleted at the end.
/// </remarks>
internal static class InferenceBenchmark
{
    /// <summary>Threads for both engines (ONNX Runtime intra-op threads, llama.cpp threads).</summary>
    public const int Threads = 2;

    /// <summary>Target: resident memory after loading at most this multiple of the weights' bytes.</summary>
    public const double TargetResidentMultiple = 2.0;

    private const string LlamaCpp = "llama.cpp (LLamaSharp, fp32 KV cache)";
    private const string WeightBytes = "weight bytes (F32 tensors of the GGUF)";
    private const int WarmupSteps = 2;
    private const int Rounds = 5;
    private const double MiB = 1024.0 * 1024.0;
    private const string ResidentOurs = "ours";
    private const string ResidentOursNoPrepacking = "ours-no-prepacking";
    private const string ResidentLlamaCpp = "llama.cpp";
    private const string ResidentPrefix = "resident-bytes ";

    public static async Task<(IReadOnlyList<BenchmarkResult> Results, IReadOnlyList<string> Verdicts)> RunAsync(bool quick, CancellationToken cancellationToken)
    {
        var config = quick
            ? new LlamaConfig(
                VocabSize: 8000, HiddenSize: 1024, IntermediateSize: 2816, LayerCount: 2, HeadCount: 16, KvHeadCount: 4,
                RmsNormEpsilon: 1e-5f, RopeTheta: 10_000f, ContextLength: 256)
            : new LlamaConfig(
                VocabSize: 32_000, HiddenSize: 2048, IntermediateSize: 5632, LayerCount: 4, HeadCount: 32, KvHeadCount: 4,
                RmsNormEpsilon: 1e-5f, RopeTheta: 10_000f, ContextLength: 256);
        var promptLength = quick ? 32 : 64;
        var decodeSteps = quick ? 8 : 20;
        var c = CultureInfo.InvariantCulture;

        var folder = Path.Combine(Path.GetTempPath(), "kwaainet-bench-inference-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "model-f32.gguf");
            var clock = Stopwatch.StartNew();
            TinyLlamaGguf.Write(path, GgmlType.F32, seed: 7, config);
            var weightBytes = WeightByteCount(config);
            await Console.Error.WriteLineAsync(string.Format(c, "inference: wrote {0:0} MiB of F32 weights ({1:0} MiB file) in {2:0.0} s", weightBytes / MiB, new FileInfo(path).Length / MiB, clock.Elapsed.TotalSeconds));
            cancellationToken.ThrowIfCancellationRequested();

            var random = new Random(11);
            var prompt = new int[promptLength];
            prompt[0] = 1;
            for (var i = 1; i < prompt.Length; i++)
            {
                prompt[i] = random.Next(259, config.VocabSize);
            }

            // Resident memory, each load in a fresh process of this program (so no load reuses memory a previous one freed).
            var oursOffBytes = await ResidentInChildAsync(path, ResidentOursNoPrepacking, promptLength, cancellationToken);
            var oursOnBytes = await ResidentInChildAsync(path, ResidentOurs, promptLength, cancellationToken);
            var llamaBytes = await ResidentInChildAsync(path, ResidentLlamaCpp, promptLength, cancellationToken);
            await Console.Error.WriteLineAsync(string.Format(c, "inference: resident after load: ours {0:0} MiB (prepacking on), {1:0} MiB (off); llama.cpp {2:0} MiB", oursOnBytes / MiB, oursOffBytes / MiB, llamaBytes / MiB));

            using var ours = new OnnxModel(path, prepacking: true);
            using var theirs = new LlamaCppModel(path, config, promptLength);
            // One untimed round on each side first (ONNX Runtime grows its arena and llama.cpp its buffers on first use).
            ours.Run(prompt, decodeSteps, cancellationToken);
            theirs.Run(prompt, decodeSteps);
            List<double> oursPrefill = [], oursDecode = [], theirPrefill = [], theirDecode = [];
            for (var round = 0; round < Rounds; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (p, d) = ours.Run(prompt, decodeSteps, cancellationToken);
                oursPrefill.Add(p);
                oursDecode.Add(d);
                var (tp, td) = theirs.Run(prompt, decodeSteps);
                theirPrefill.Add(tp);
                theirDecode.Add(td);
                await Console.Error.WriteLineAsync(string.Format(c, "inference: round {0}: prefill {1:0.0} vs {2:0.0} tokens/s, decode {3:0.00} vs {4:0.00} tokens/s (ours vs llama.cpp)", round + 1, p, tp, d, td));
            }

            var weightMiB = weightBytes / MiB;
            var shape = string.Format(c, "{0} layers, hidden {1}, {2} heads, {3} KV heads, ff {4}, vocab {5}", config.LayerCount, config.HiddenSize, config.HeadCount, config.KvHeadCount, config.IntermediateSize, config.VocabSize);
            List<BenchmarkResult> results =
            [
                new(string.Format(c, "prefill, ours (ONNX Runtime), {0}-token prompt", promptLength), "tokens/s", oursPrefill, LlamaCpp, theirPrefill),
                new(string.Format(c, "decode, ours (ONNX Runtime), {0} single-token steps", decodeSteps), "tokens/s", oursDecode, LlamaCpp, theirDecode),
                new("resident after load, ours, prepacking on", "MiB", [oursOnBytes / MiB], WeightBytes, [weightMiB]),
                new("resident after load, ours, prepacking off", "MiB", [oursOffBytes / MiB], WeightBytes, [weightMiB]),
                new("resident after load, llama.cpp (information)", "MiB", [llamaBytes / MiB], WeightBytes, [weightMiB]),
            ];

            var decode = results[1];
            var prefill = results[0];
            List<string> verdicts =
            [
                string.Format(c, "Model: one generated F32 GGUF, {0} ({1:0} MiB of weights); {2} threads on both sides; one untimed round then {3} timed ones, each a fresh sequence: a {4}-token prefill, {5} warm-up and {6} timed greedy decode steps.", shape, weightMiB, Threads, Rounds, promptLength, WarmupSteps, decodeSteps),
                string.Format(c, "Target decode ≥ llama.cpp: {0} ({1:0.00} vs {2:0.00} tokens/s, {3:0.00}x)", decode.Ratio >= 1 ? "PASS" : "FAIL", decode.Median, decode.BaselineMedian, decode.Ratio),
                string.Format(c, "Target prefill ≥ llama.cpp: {0} ({1:0.0} vs {2:0.0} tokens/s, {3:0.00}x)", prefill.Ratio >= 1 ? "PASS" : "FAIL", prefill.Median, prefill.BaselineMedian, prefill.Ratio),
                string.Format(c, "Target resident ≤ {0:0}× weight bytes, prepacking on: {1} ({2:0} MiB vs {3:0} MiB of weights, {4:0.00}x)", TargetResidentMultiple, oursOnBytes <= TargetResidentMultiple * weightBytes ? "PASS" : "FAIL", oursOnBytes / MiB, weightMiB, oursOnBytes / (double)weightBytes),
                string.Format(c, "Target resident ≤ {0:0}× weight bytes, prepacking off: {1} ({2:0} MiB vs {3:0} MiB of weights, {4:0.00}x)", TargetResidentMultiple, oursOffBytes <= TargetResidentMultiple * weightBytes ? "PASS" : "FAIL", oursOffBytes / MiB, weightMiB, oursOffBytes / (double)weightBytes),
                string.Format(c, "Information: the median of the per-round ratios (each round runs both engines back to back) is {0:0.00}x for decode and {1:0.00}x for prefill.", decode.PairedRatio, prefill.PairedRatio),
                string.Format(c, "Information: llama.cpp maps the GGUF file; its resident figure ({0:0} MiB, {1:0.00}x) counts the file pages touched while loading.", llamaBytes / MiB, llamaBytes / (double)weightBytes),
            ];
            if (quick)
            {
                verdicts.Insert(0, "Quick mode: 2 layers, hidden 1024, 16 heads, 4 KV heads, ff 2816, vocab 8,000; a 32-token prompt and 8 decode steps instead of TinyLlama's sizes (4 layers), 64 tokens and 20 steps.");
            }

            return (results, verdicts);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"inference: could not delete {folder}: {e.Message}");
            }
        }
    }

    /// <summary>Bytes of the model's tensors as F32: embedding, head, final norm and every layer's matrices and norms.</summary>
    private static long WeightByteCount(LlamaConfig c)
    {
        long hidden = c.HiddenSize, kv = (long)c.KvHeadCount * c.HeadSize, ff = c.IntermediateSize;
        var perLayer = (2 * hidden) + (2 * hidden * hidden) + (2 * hidden * kv) + (3 * hidden * ff);
        return 4 * ((2 * hidden * c.VocabSize) + hidden + (c.LayerCount * perLayer));
    }

    /// <summary>
    /// The child side of the resident-memory figure (<c>inference-resident &lt;gguf&gt; &lt;what&gt; &lt;prompt length&gt;</c>):
    /// loads one engine and prints the working set the load added (garbage collected before and after).
    /// </summary>
    public static int MeasureResident(IReadOnlyList<string> args)
    {
        if (args.Count != 3 || !File.Exists(args[0]) || !int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var promptLength) || promptLength < 1)
        {
            Console.Error.WriteLine("usage: KwaaiNet.Benchmarks inference-resident <gguf file> <ours | ours-no-prepacking | llama.cpp> <prompt length>");
            return 2;
        }

        var before = WorkingSet();
        IDisposable model;
        switch (args[1])
        {
            case ResidentOurs:
            case ResidentOursNoPrepacking:
                model = new OnnxModel(args[0], prepacking: args[1] == ResidentOurs);
                break;
            case ResidentLlamaCpp:
                using (var file = GgufFile.Open(args[0]))
                {
                    model = new LlamaCppModel(args[0], LlamaGguf.ReadConfig(file), promptLength);
                }

                break;
            default:
                Console.Error.WriteLine($"unknown engine {args[1]}");
                return 2;
        }

        using (model)
        {
            var added = WorkingSet() - before;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}{1}", ResidentPrefix, added));
        }

        return 0;
    }

    private static async Task<long> ResidentInChildAsync(string path, string what, int promptLength, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the process path is unknown");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(InferenceBenchmark).Assembly.Location);
        }

        foreach (var a in (string[])["inference-resident", path, what, promptLength.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(a);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the measuring process");
        var stderr = child.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = await child.StandardOutput.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        var errors = await stderr;
        var line = stdout.Split('\n').Select(static l => l.Trim()).LastOrDefault(static l => l.StartsWith(ResidentPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null || !long.TryParse(line.AsSpan(ResidentPrefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bytes))
        {
            throw new InvalidOperationException($"measuring the resident memory of {what} failed (exit {child.ExitCode}): {errors[Math.Max(0, errors.Length - 2000)..]}");
        }

        return bytes;
    }

    private static long WorkingSet()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static SessionOptions Options(bool prepacking) =>
        ProviderSessionOptions.Create(ExecutionProviders.Cpu, Threads, prepacking);

    /// <summary>Ours: embedding and head sessions around one span of every layer, driven through the session manager.</summary>
    private sealed class OnnxModel : IDisposable
    {
        private readonly LlamaConfig _config;
        private readonly InferenceSession _embedding;
        private readonly InferenceSession _head;
        private readonly SpanModel _span;
        private readonly SpanSessionManager _manager;

        public OnnxModel(string path, bool prepacking)
        {
            // The sessions hold their own copies of the weights, so the mapped file is closed once they are built.
            using var file = GgufFile.Open(path);
            var weights = new GgufLlamaWeights(file);
            _config = weights.Config;
            using (var options = Options(prepacking))
            {
                _embedding = new InferenceSession(LlamaEmbeddingGraph.Build(weights), options);
                _head = new InferenceSession(LlamaHeadGraph.Build(weights), options);
            }

            _span = new SpanModel(weights, 0, _config.LayerCount, LlamaGraphPrecision.Fp32, () => Options(prepacking));
            _manager = new SpanSessionManager(_span, Microsoft.Extensions.Options.Options.Create(new SpanSessionOptions()), TimeProvider.System);
        }

        /// <summary>One fresh sequence: returns prefill and decode tokens/s.</summary>
        public (double Prefill, double Decode) Run(int[] prompt, int decodeSteps, CancellationToken cancellationToken)
        {
            var session = _manager.Open(prompt.Length + WarmupSteps + decodeSteps);
            try
            {
                var clock = Stopwatch.StartNew();
                var next = Step(session, prompt, cancellationToken);
                var prefill = prompt.Length / clock.Elapsed.TotalSeconds;
                for (var i = 0; i < WarmupSteps; i++)
                {
                    next = Step(session, [next], cancellationToken);
                }

                clock.Restart();
                for (var i = 0; i < decodeSteps; i++)
                {
                    next = Step(session, [next], cancellationToken);
                }

                return (prefill, decodeSteps / clock.Elapsed.TotalSeconds);
            }
            finally
            {
                _manager.Close(session);
            }
        }

        public void Dispose()
        {
            _manager.Dispose();
            _span.Dispose();
            _head.Dispose();
            _embedding.Dispose();
        }

        private int Step(SpanSession session, int[] tokens, CancellationToken cancellationToken)
        {
            var ids = tokens.Select(static t => (long)t).ToArray();
            float[] embeddings;
            using (var input = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]))
            using (var options = new RunOptions())
            using (var outputs = _embedding.Run(options, [LlamaEmbeddingGraph.InputIds], [input], _embedding.OutputNames))
            {
                embeddings = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            }

            var hidden = _manager.Step(session, embeddings, tokens.Length, cancellationToken);
            var last = hidden.AsSpan((tokens.Length - 1) * _config.HiddenSize, _config.HiddenSize).ToArray();
            using (var input = OrtValue.CreateTensorValueFromMemory(last, [1, 1, _config.HiddenSize]))
            using (var options = new RunOptions())
            using (var outputs = _head.Run(options, [LlamaHeadGraph.HiddenStates], [input], _head.OutputNames))
            {
                return ArgMax(outputs[0].GetTensorDataAsSpan<float>());
            }
        }
    }

    /// <summary>llama.cpp through LLamaSharp: fp32 KV cache, no flash attention, CPU only, the same thread count.</summary>
    private sealed class LlamaCppModel : IDisposable
    {
        private readonly ModelParams _parameters;
        private readonly LLamaWeights _weights;
        private LLamaContext _context;

        public LlamaCppModel(string path, LlamaConfig config, int promptLength)
        {
            _parameters = new ModelParams(path)
            {
                ContextSize = (uint)config.ContextLength,
                GpuLayerCount = 0,
                BatchSize = (uint)promptLength,
                UBatchSize = (uint)promptLength,
                Threads = Threads,
                BatchThreads = Threads,
                TypeK = GGMLType.GGML_TYPE_F32,
                TypeV = GGMLType.GGML_TYPE_F32,
                FlashAttention = false,
            };
            _weights = LLamaWeights.LoadFromFile(_parameters);
            _context = _weights.CreateContext(_parameters);
        }

        /// <summary>One fresh sequence (a new context): returns prefill and decode tokens/s.</summary>
        public (double Prefill, double Decode) Run(int[] prompt, int decodeSteps)
        {
            _context.Dispose();
            _context = _weights.CreateContext(_parameters);
            var position = 0;
            var clock = Stopwatch.StartNew();
            var next = Step(prompt, ref position);
            var prefill = prompt.Length / clock.Elapsed.TotalSeconds;
            for (var i = 0; i < WarmupSteps; i++)
            {
                next = Step([next], ref position);
            }

            clock.Restart();
            for (var i = 0; i < decodeSteps; i++)
            {
                next = Step([next], ref position);
            }

            return (prefill, decodeSteps / clock.Elapsed.TotalSeconds);
        }

        public void Dispose()
        {
            _context.Dispose();
            _weights.Dispose();
        }

        private int Step(int[] tokens, ref int position)
        {
            var batch = new LLamaBatch();
            for (var i = 0; i < tokens.Length; i++)
            {
                batch.Add((LLamaToken)tokens[i], position++, LLamaSeqId.Zero, i == tokens.Length - 1);
            }

            var result = _context.NativeHandle.Decode(batch);
            if (result != DecodeResult.Ok)
            {
                throw new InvalidOperationException($"llama.cpp decode failed: {result}");
            }

            return ArgMax(_context.NativeHandle.GetLogitsIth(tokens.Length - 1));
        }
    }
}
