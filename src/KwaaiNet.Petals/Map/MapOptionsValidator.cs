// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Map;

/// <summary>Validates <see cref="MapOptions"/> at start (the ranges on its properties).</summary>
[OptionsValidator]
internal sealed partial class MapOptionsValidator : IValidateOptions<MapOptions>;
