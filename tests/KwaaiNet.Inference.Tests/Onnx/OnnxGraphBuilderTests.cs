// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Protos;
using Microsoft.ML.OnnxRuntime;
using DataType = KwaaiNet.Inference.Protos.TensorProto.Types.DataType;

namespace KwaaiNet.Inference.Tests.Onnx;

public sealed class OnnxGraphBuilderTests
{
    private static readonly float[] Left = [1f, 2f, 3f, 4f];
    private static readonly float[] Right = [5f, 6f];
    private static readonly float[] Halves = [0.1f, -2.5f, 65504f, 1e-3f];

    [Fact]
    public void ToModelBytes_StampsIrVersionAndOpsets()
    {
        var builder = new OnnxGraphBuilder("g");
        builder.AddInput("x", DataType.Float, "n");
        builder.AddNode("Identity", ["x"], ["y"]);
        builder.AddOutput("y", DataType.Float, "n");

        var model = ModelProto.Parser.ParseFrom(builder.ToModelBytes());

        Assert.Equal(10, model.IrVersion);
        Assert.Equal(21, model.OpsetImport.Single(static o => o.Domain == "").Version);
        Assert.Equal(1, model.OpsetImport.Single(static o => o.Domain == "com.microsoft").Version);
    }

    [Fact]
    public void AddNode_ZeroIntegerAttribute_IsWrittenAndHonoured()
    {
        // Concat along axis 0 only works when the attribute i = 0 reaches ONNX Runtime (proto2 presence).
        var builder = new OnnxGraphBuilder("concat");
        builder.AddInput("x", DataType.Float, 4, 1);
        var right = builder.AddInitializer("right", Right, DataType.Float, 2, 1);
        builder.AddNode("Concat", ["x", right], ["y"], "", OnnxGraphBuilder.Attribute("axis", 0L));
        builder.AddOutput("y", DataType.Float, 6, 1);

        using var session = new InferenceSession(builder.ToModelBytes());
        using var x = OrtValue.CreateTensorValueFromMemory(Left, [4, 1]);
        using var options = new RunOptions();
        using var results = session.Run(options, ["x"], [x], ["y"]);

        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], results[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal([6L, 1L], results[0].GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void AddInitializer_Float16_StoresHalfPrecisionValues()
    {
        var builder = new OnnxGraphBuilder("half");
        var table = builder.AddInitializer("table", Halves, DataType.Float16, 4);
        builder.AddNode("Cast", [table], ["y"], "", OnnxGraphBuilder.Attribute("to", (long)DataType.Float));
        builder.AddOutput("y", DataType.Float, 4);

        using var session = new InferenceSession(builder.ToModelBytes());
        using var options = new RunOptions();
        using var results = session.Run(options, [], [], ["y"]);

        Assert.Equal(Halves.Select(static x => (float)(Half)x), results[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal(8, builder.InitializerBytes);
    }

    [Fact]
    public void WriteWithExternalData_AlignsTensorsAndLoadsByPath()
    {
        var builder = new OnnxGraphBuilder("external");
        builder.AddInput("x", DataType.Float, 1, 300);
        var small = builder.AddInitializer("small", Right, DataType.Float, 2);
        var a = builder.AddInitializer("a", OnnxAssert.Random(1, 300), DataType.Float, 1, 300);
        var b = builder.AddInitializer("b", OnnxAssert.Random(2, 300), DataType.Float, 1, 300);
        var sum = builder.AddNode("Add", [builder.AddNode("Add", ["x", a], ["xa"]), b], ["y"]);
        builder.AddNode("ReduceSum", [small], ["total"], "", OnnxGraphBuilder.Attribute("keepdims", 0L));
        builder.AddOutput(sum, DataType.Float, 1, 300);
        builder.AddOutput("total", DataType.Float);
        var directory = Directory.CreateTempSubdirectory("kwaainet-onnx-");
        try
        {
            var modelPath = Path.Combine(directory.FullName, "m.onnx");
            builder.WriteWithExternalData(modelPath, "m.weights");

            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
            var external = model.Graph.Initializer.Where(static t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
            Assert.Equal(["a", "b"], external.Select(static t => t.Name));
            Assert.All(external, static t => Assert.Equal(
                0, long.Parse(t.ExternalData.Single(static e => e.Key == "offset").Value, System.Globalization.CultureInfo.InvariantCulture) % 4096));
            Assert.True(model.Graph.Initializer.Single(static t => t.Name == "small").HasRawData);

            using var fromPath = new InferenceSession(modelPath);
            using var fromBytes = new InferenceSession(builder.ToModelBytes());
            using var x = OrtValue.CreateTensorValueFromMemory(OnnxAssert.Random(3, 300), [1, 300]);
            using var options = new RunOptions();
            using var expected = fromBytes.Run(options, ["x"], [x], ["y", "total"]);
            using var actual = fromPath.Run(options, ["x"], [x], ["y", "total"]);
            Assert.Equal(expected[0].GetTensorDataAsSpan<float>().ToArray(), actual[0].GetTensorDataAsSpan<float>().ToArray());
            Assert.Equal(11f, actual[1].GetTensorDataAsSpan<float>()[0]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void WriteWithExternalData_DataFileWithFolder_Throws()
    {
        var builder = new OnnxGraphBuilder("g");

        Assert.Throws<ArgumentException>(() => builder.WriteWithExternalData("m.onnx", "../elsewhere.weights"));
    }

    [Fact]
    public void AddInitializer_CountNotMatchingShape_Throws()
    {
        var builder = new OnnxGraphBuilder("g");

        var error = Assert.Throws<ArgumentException>(() => builder.AddInitializer("w", Left, DataType.Float, 3, 2));
        Assert.Contains("w has 4 values but its shape holds 6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddInitializer_IntegerDataAsFloatType_Throws()
    {
        var builder = new OnnxGraphBuilder("g");

        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddInitializer("w", Left, DataType.Int32, 4));
    }

    [Fact]
    public void AddNode_OutputNameTaken_Throws()
    {
        var builder = new OnnxGraphBuilder("g");
        builder.AddInput("x", DataType.Float, 1);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddNode("Identity", ["x"], ["x"]));
        Assert.Equal("the graph already has a value named x", error.Message);
    }
}
