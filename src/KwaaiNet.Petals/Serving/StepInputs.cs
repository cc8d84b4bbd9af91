// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf.Collections;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// Reads the positional tensors of a forward or inference request (<c>hidden_states, prompts, hypo_ids</c>) after
/// <c>args_structure</c> (research petals-protocol.md §6.1, §7.3), refusing what this server does not run.
/// </summary>
internal static class StepInputs
{
    /// <summary>The tensor indices of the positional arguments: <c>args_structure</c>, or the tensors in order.</summary>
    public static IReadOnlyList<int> Arguments(IReadOnlyList<int>? argsStructure, int tensorCount) =>
        argsStructure ?? [.. Enumerable.Range(0, tensorCount)];

    /// <summary>The tensor of positional argument <paramref name="position"/>, or null when the request has fewer.</summary>
    /// <exception cref="PetalsRequestException">args_structure names a tensor the request does not carry.</exception>
    public static Tensor? Argument(RepeatedField<Tensor> tensors, IReadOnlyList<int> arguments, int position)
    {
        if (position >= arguments.Count)
        {
            return null;
        }

        var index = arguments[position];
        return index < tensors.Count
            ? tensors[index]
            : throw new PetalsRequestException(
                "IndexError", Invariant($"args_structure names tensor {index}, but the request carries {tensors.Count}"));
    }

    /// <summary>Reads <c>hidden_states</c>: <c>[batch, tokens, hidden]</c> of any float dtype, NONE or FLOAT16.</summary>
    /// <exception cref="PetalsRequestException">A missing tensor, a dtype that is not float, or a wrong shape.</exception>
    /// <exception cref="FormatException">The tensor does not decode.</exception>
    public static HiddenStates ReadHidden(Tensor? tensor, int hiddenSize)
    {
        if (tensor is null)
        {
            throw new PetalsRequestException("ValueError", "the request carries no hidden_states tensor");
        }

        var decoded = TensorCodec.Deserialize(tensor);
        if (!TensorDTypes.IsFloat(decoded.DType))
        {
            throw new PetalsRequestException(
                "ValueError", Invariant($"hidden_states must be a float tensor (float32, float16, bfloat16, float64), got {decoded.DType}"));
        }

        if (decoded.Shape.Length != 3 || decoded.Shape[2] != hiddenSize)
        {
            throw new PetalsRequestException(
                "ValueError",
                Invariant($"hidden_states must have shape [batch, tokens, {hiddenSize}], got [{string.Join(", ", decoded.Shape)}]"));
        }

        return new HiddenStates(TensorCodec.ToSingles(decoded), decoded.Shape[0], decoded.Shape[1], tensor.Compression);
    }

    /// <summary>Accepts <c>prompts</c> only as DUMMY (no elements): deep prompts (p-tuning) are not served.</summary>
    /// <exception cref="PetalsRequestException">The prompts hold values.</exception>
    /// <exception cref="FormatException">The tensor does not decode.</exception>
    public static void CheckNoPrompts(Tensor? tensor)
    {
        if (tensor is null)
        {
            return;
        }

        var decoded = TensorCodec.Deserialize(tensor);
        if (decoded.ElementCount != 0)
        {
            throw new PetalsRequestException(
                "ValueError",
                Invariant($"deep prompts are not served by this server; send DUMMY prompts (size [0]), got [{string.Join(", ", decoded.Shape)}]"));
        }
    }

    /// <summary>
    /// Accepts <c>hypo_ids</c> as int64 DUMMY or the identity of a batch of one (<c>[0]</c>): beam reordering of a
    /// batch of one leaves the cache as it is.
    /// </summary>
    /// <exception cref="PetalsRequestException">Not int64, or a reordering other than the identity.</exception>
    /// <exception cref="FormatException">The tensor does not decode.</exception>
    public static void CheckHypoIds(Tensor? tensor)
    {
        if (tensor is null)
        {
            return;
        }

        var decoded = TensorCodec.Deserialize(tensor);
        if (decoded.DType != TensorDTypes.Int64Name)
        {
            throw new PetalsRequestException("AssertionError", "hypo ids must be int64, got " + decoded.DType);
        }

        if (decoded.ElementCount == 0 || (decoded.ElementCount == 1 && BinaryPrimitives.ReadInt64LittleEndian(decoded.Data) == 0))
        {
            return;
        }

        throw new PetalsRequestException(
            "ValueError", Invariant($"hypo_ids must be DUMMY or [0] (sessions run a batch of 1), got {decoded.ElementCount} ids"));
    }

    /// <summary>The compression a response uses: the request's when this server writes it (NONE, FLOAT16), else NONE.</summary>
    public static CompressionType ResponseCompression(CompressionType requested) =>
        requested is CompressionType.None or CompressionType.Float16 ? requested : CompressionType.None;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
