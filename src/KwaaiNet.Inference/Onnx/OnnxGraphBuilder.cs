// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using KwaaiNet.Inference.Protos;
using DataType = KwaaiNet.Inference.Protos.TensorProto.Types.DataType;

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// Builds an ONNX model (IR 10, <c>ai.onnx</c> opset 21, <c>com.microsoft</c> opset 1, the pairing onnxruntime-genai's
/// model builder uses) from inputs, outputs, initializers and nodes, and serializes it inline or with the weights in
/// an external data file. Tensor bytes are little-endian, as ONNX <c>raw_data</c> requires.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX IR version stamped on the model (the one the spec pairs with opset 21).</summary>
    public const long IrVersion = 10;

    /// <summary>The default-domain (<c>ai.onnx</c>) opset.</summary>
    public const long OnnxOpset = 21;

    /// <summary>The ONNX Runtime contrib-op domain (GroupQueryAttention, SkipSimplifiedLayerNormalization).</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>The <c>com.microsoft</c> opset.</summary>
    public const long MicrosoftOpset = 1;

    /// <summary>
    /// Protobuf cannot serialize a message of 2 GiB or more; an inline model stays below this (a margin is left for
    /// the graph itself). Larger models go through <see cref="WriteWithExternalData"/>.
    /// </summary>
    public const long MaxInlineBytes = int.MaxValue - (64L << 20);

    // Offsets of external tensors are aligned so the file can be memory-mapped tensor by tensor.
    private const int ExternalAlignment = 4096;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private long _initializerBytes;
    private int _nodeCount;

    /// <summary>Starts an empty graph.</summary>
    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this platform is big-endian");
        }

        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Bytes of tensor data added so far.</summary>
    public long InitializerBytes => _initializerBytes;

    /// <summary>Declares a graph input.</summary>
    public void AddInput(string name, DataType type, params ReadOnlySpan<OnnxDimension> dims)
    {
        Claim(name);
        _graph.Input.Add(Value(name, type, dims));
    }

    /// <summary>Declares a graph output (the name must be produced by a node).</summary>
    public void AddOutput(string name, DataType type, params ReadOnlySpan<OnnxDimension> dims)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _graph.Output.Add(Value(name, type, dims));
    }

    /// <summary>Adds a float initializer stored as <see cref="DataType.Float"/> or <see cref="DataType.Float16"/>.</summary>
    /// <returns>The initializer's name, for use as a node input.</returns>
    public string AddInitializer(string name, ReadOnlySpan<float> data, DataType type, params ReadOnlySpan<long> dims)
    {
        CheckCount(name, data.Length, dims);
        byte[] bytes;
        switch (type)
        {
            case DataType.Float:
                bytes = MemoryMarshal.AsBytes(data).ToArray();
                break;
            case DataType.Float16:
                bytes = new byte[checked(data.Length * sizeof(ushort))];
                var halves = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
                for (var i = 0; i < data.Length; i++)
                {
                    halves[i] = (Half)data[i];
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "float data is stored as FLOAT or FLOAT16");
        }

        return AddRaw(name, type, bytes, dims);
    }

    /// <summary>Adds an int64 initializer.</summary>
    public string AddInitializer(string name, ReadOnlySpan<long> data, params ReadOnlySpan<long> dims)
    {
        CheckCount(name, data.Length, dims);
        return AddRaw(name, DataType.Int64, MemoryMarshal.AsBytes(data).ToArray(), dims);
    }

    /// <summary>Adds an int32 initializer.</summary>
    public string AddInitializer(string name, ReadOnlySpan<int> data, params ReadOnlySpan<long> dims)
    {
        CheckCount(name, data.Length, dims);
        return AddRaw(name, DataType.Int32, MemoryMarshal.AsBytes(data).ToArray(), dims);
    }

    /// <summary>
    /// Adds a node. An empty string in <paramref name="inputs"/> or <paramref name="outputs"/> leaves an optional slot
    /// empty, as ONNX does.
    /// </summary>
    /// <returns>The node's first output.</returns>
    public string AddNode(
        string opType,
        ReadOnlySpan<string> inputs,
        ReadOnlySpan<string> outputs,
        string domain = "",
        params ReadOnlySpan<AttributeProto> attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        if (outputs.IsEmpty || outputs[0].Length == 0)
        {
            throw new ArgumentException($"node {opType} needs a first output", nameof(outputs));
        }

        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_nodeCount++}" };
        if (domain.Length > 0)
        {
            node.Domain = domain;
        }

        foreach (var input in inputs)
        {
            node.Input.Add(input);
        }

        foreach (var output in outputs)
        {
            if (output.Length > 0)
            {
                Claim(output);
            }

            node.Output.Add(output);
        }

        foreach (var attribute in attributes)
        {
            node.Attribute.Add(attribute);
        }

        _graph.Node.Add(node);
        return outputs[0];
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A string attribute.</summary>
    public static AttributeProto Attribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>The model with every tensor inline, for <c>new InferenceSession(byte[])</c>.</summary>
    /// <exception cref="InvalidOperationException">The weights reach protobuf's 2 GiB limit.</exception>
    public byte[] ToModelBytes()
    {
        if (_initializerBytes > MaxInlineBytes)
        {
            throw new InvalidOperationException(
                $"the graph holds {_initializerBytes} bytes of weights, beyond the {MaxInlineBytes} a protobuf message can carry inline; write it with external data");
        }

        return Model(_graph).ToByteArray();
    }

    /// <summary>
    /// Writes the model to <paramref name="modelPath"/> and every tensor of at least
    /// <paramref name="minExternalBytes"/> bytes to <paramref name="dataFileName"/> beside it (4 KiB-aligned offsets).
    /// ONNX Runtime resolves external data relative to the model file, so load the model by path.
    /// </summary>
    public void WriteWithExternalData(string modelPath, string dataFileName, int minExternalBytes = 1024)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataFileName);
        ArgumentOutOfRangeException.ThrowIfNegative(minExternalBytes);
        if (Path.GetFileName(dataFileName) != dataFileName)
        {
            throw new ArgumentException("the data file lies beside the model: give a file name, not a path", nameof(dataFileName));
        }

        var graph = _graph.Clone();
        var directory = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        using (var data = new FileStream(Path.Combine(directory, dataFileName), FileMode.Create, FileAccess.Write))
        {
            foreach (var tensor in graph.Initializer)
            {
                if (tensor.RawData.Length < minExternalBytes)
                {
                    continue;
                }

                var offset = (data.Position + ExternalAlignment - 1) / ExternalAlignment * ExternalAlignment;
                data.SetLength(Math.Max(data.Length, offset));
                data.Position = offset;
                data.Write(tensor.RawData.Span);
                tensor.ExternalData.Add(Entry("location", dataFileName));
                tensor.ExternalData.Add(Entry("offset", offset.ToString(CultureInfo.InvariantCulture)));
                tensor.ExternalData.Add(Entry("length", tensor.RawData.Length.ToString(CultureInfo.InvariantCulture)));
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ClearRawData();
            }
        }

        var model = Model(graph);
        if (model.CalculateSize() > MaxInlineBytes)
        {
            throw new InvalidOperationException("the graph is too large for protobuf even with its weights outside; raise the external threshold");
        }

        using var file = new FileStream(modelPath, FileMode.Create, FileAccess.Write);
        model.WriteTo(file);
    }

    private static ModelProto Model(GraphProto graph)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "KwaaiNet.Inference",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxOpset });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = MicrosoftOpset });
        return model;
    }

    private static StringStringEntryProto Entry(string key, string value) => new() { Key = key, Value = value };

    private static ValueInfoProto Value(string name, DataType type, ReadOnlySpan<OnnxDimension> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim.Symbol is { } symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = dim.Size });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static void CheckCount(string name, int count, ReadOnlySpan<long> dims)
    {
        long expected = 1;
        foreach (var dim in dims)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"initializer {name} has a negative dimension", nameof(dims));
            }

            expected = checked(expected * dim);
        }

        if (expected != count)
        {
            throw new ArgumentException($"initializer {name} has {count} values but its shape holds {expected}", nameof(dims));
        }
    }

    private string AddRaw(string name, DataType type, byte[] bytes, ReadOnlySpan<long> dims)
    {
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(bytes) };
        foreach (var dim in dims)
        {
            tensor.Dims.Add(dim);
        }

        _graph.Initializer.Add(tensor);
        _initializerBytes += bytes.Length;
        return name;
    }

    private void Claim(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"the graph already has a value named {name}");
        }
    }
}
