// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.OpenAi;

[OptionsValidator]
internal sealed partial class OpenAiOptionsValidator : IValidateOptions<OpenAiOptions>;
