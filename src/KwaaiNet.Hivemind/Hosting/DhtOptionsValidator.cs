// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Options;

namespace KwaaiNet.Hivemind.Hosting;

[OptionsValidator]
internal sealed partial class DhtOptionsValidator : IValidateOptions<DhtOptions>;
