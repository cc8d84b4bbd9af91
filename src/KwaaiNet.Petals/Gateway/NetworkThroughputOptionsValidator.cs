// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Gateway;

[OptionsValidator]
internal sealed partial class NetworkThroughputOptionsValidator : IValidateOptions<NetworkThroughputOptions>;
