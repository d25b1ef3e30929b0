using UnitScope.Protocol;
using UnitScope.Server.References;

namespace UnitScope.Server.Tests;

/// <summary>
/// The hover resolver, data-driven: <c>$0</c> marks the cursor; the expected answer is the layer
/// name, or "ref → a, b, …" for suffix matches, or null for no hover.
/// </summary>
public class LayerReferenceResolverTests
{
    internal static LayerInfo L(string name, string kind) => new(name, kind, 1, [1]);

    private static readonly LayerInfo[] SmallCnn =
    [
        L("conv1", "Conv2d"), L("bn1", "BatchNorm2d"), L("conv2", "Conv2d"), L("bn2", "BatchNorm2d"), L("conv3", "Conv2d"), L("bn3", "BatchNorm2d"),
        L("conv4", "Conv2d"), L("bn4", "BatchNorm2d"), L("relu", "ReLU"), L("pool", "MaxPool2d"), L("avgpool", "AdaptiveAvgPool2d"), L("fc", "Linear"),
    ];

    private static readonly LayerInfo[] Vgg =
    [
        L("features", "Sequential"), L("features.0", "Conv2d"), L("features.1", "ReLU"), L("features.2", "Conv2d"), L("features.3", "ReLU"),
        L("features.28", "Conv2d"), L("features.29", "ReLU"), L("avgpool", "AdaptiveAvgPool2d"), L("classifier", "Sequential"),
        L("classifier.0", "Linear"), L("classifier.1", "ReLU"), L("classifier.2", "Dropout"), L("classifier.3", "Linear"),
        L("classifier.4", "ReLU"), L("classifier.5", "Dropout"), L("classifier.6", "Linear"),
    ];

    internal static readonly LayerInfo[] ResNet = BuildResNet();

    private static LayerInfo[] BuildResNet()
    {
        var layers = new List<LayerInfo> { L("conv1", "Conv2d"), L("bn1", "BatchNorm2d"), L("relu", "ReLU"), L("maxpool", "MaxPool2d") };
        for (var l = 1; l <= 4; l++)
        {
            layers.Add(L($"layer{l}", "Sequential"));
            for (var b = 0; b < 2; b++)
            {
                layers.Add(L($"layer{l}.{b}", "BasicBlock"));
                foreach (var (m, kind) in new[] { ("conv1", "Conv2d"), ("bn1", "BatchNorm2d"), ("relu", "ReLU"), ("conv2", "Conv2d"), ("bn2", "BatchNorm2d") })
                    layers.Add(L($"layer{l}.{b}.{m}", kind));
                if (l > 1 && b == 0)
                    layers.AddRange([L($"layer{l}.0.downsample", "Sequential"), L($"layer{l}.0.downsample.0", "Conv2d"), L($"layer{l}.0.downsample.1", "BatchNorm2d")]);
            }
        }
        layers.AddRange([L("avgpool", "AdaptiveAvgPool2d"), L("fc", "Linear")]);
        return [.. layers];
    }

    /// <summary>Layer names alone, kinds unknown: the resolver then judges classes by names.</summary>
    internal static void Check(string source, string[] names, string? expected, SourceLanguage language = SourceLanguage.Python) =>
        Check(source, names.Select(n => L(n, "")).ToArray(), expected, language);

    internal static void Check(string source, LayerInfo[] layers, string? expected, SourceLanguage language = SourceLanguage.Python)
    {
        var offset = source.IndexOf("$0", StringComparison.Ordinal);
        offset.Should().BeGreaterThanOrEqualTo(0, "the source must mark the cursor with $0");
        var text = source.Remove(offset, 2);
        var position = Documents.TextPositions.ToPosition(text, offset);
        var result = LayerReferenceResolver.Resolve(text, position, layers, language);

        string? actual = result is null ? null
            : result.Exact ? result.Layers.Single()
            : $"{result.Reference} → {string.Join(", ", result.Layers)}";
        actual.Should().Be(expected, "for the cursor in:\n{0}", source);
        if (result is not null)
        {
            var start = Documents.TextPositions.ToOffset(text, result.Range.Start);
            var end = Documents.TextPositions.ToOffset(text, result.Range.End);
            start.Should().BeLessThanOrEqualTo(offset);
            end.Should().BeGreaterThanOrEqualTo(offset);
        }
    }

    internal static void CheckCs(string source, LayerInfo[] layers, string? expected) => Check(source, layers, expected, SourceLanguage.CSharp);
    private static void CheckCs(string source, string[] names, string? expected) => Check(source, names, expected, SourceLanguage.CSharp);

    // ---- Python: attribute chains ----

    [Fact] public void Self_attribute_assignment() => Check("self.co$0nv1 = nn.Conv2d(3, 16, 3)", SmallCnn, "conv1");
    [Fact] public void Cursor_at_start_of_name() => Check("self.$0conv1 = nn.Conv2d(3, 16, 3)", SmallCnn, "conv1");
    [Fact] public void Cursor_just_after_name() => Check("x = self.conv1$0(x)", SmallCnn, "conv1");
    [Fact] public void Self_attribute_use_in_forward() => Check("        x = self.pool(self.relu(self.bn$01(self.conv1(x))))", SmallCnn, "bn1");
    [Fact] public void Model_variable_is_stripped() => Check("out = model.con$0v4(x)", SmallCnn, "conv4");
    [Fact] public void Any_non_layer_root_is_stripped() => Check("y = my_net.f$0c(x)", SmallCnn, "fc");
    [Fact] public void Bare_layer_name() => Check("conv$01(x)", SmallCnn, "conv1");
    [Fact] public void Hovering_self_gives_nothing() => Check("s$0elf.conv1 = nn.Conv2d(3, 16, 3)", SmallCnn, null);
    [Fact] public void Hovering_the_root_variable_gives_nothing() => Check("mo$0del.conv1(x)", SmallCnn, null);
    [Fact] public void Unknown_attribute_gives_nothing() => Check("self.drop$0out = nn.Dropout()", SmallCnn, null);
    [Fact] public void Comments_give_nothing() => Check("# self.con$0v1 is the first layer", SmallCnn, null);
    [Fact] public void Strings_that_are_not_entries_give_nothing() => Check("print(\"con$0v1\")", SmallCnn, null);
    [Fact] public void Keywords_and_functions_give_nothing() => Check("de$0f forward(self, x):", SmallCnn, null);

    [Fact] public void Resnet_chain_last_segment() => Check("f = model.layer4[1].co$0nv2", ResNet, "layer4.1.conv2");
    [Fact] public void Resnet_chain_self() => Check("f = self.layer4[1].conv$02(x)", ResNet, "layer4.1.conv2");
    [Fact] public void Resnet_chain_up_to_hovered_segment() => Check("f = model.lay$0er4[1].conv2", ResNet, "layer4");
    [Fact] public void Resnet_chain_hovering_the_index() => Check("f = model.layer4[$01].conv2", ResNet, "layer4.1");
    [Fact] public void Resnet_chain_nested_downsample() => Check("d = model.layer2[0].downsample[$00]", ResNet, "layer2.0.downsample.0");
    [Fact] public void Dataparallel_module_is_stripped() => Check("h = model.module.layer3[0].bn$01.register_forward_hook(f)", ResNet, "layer3.0.bn1");
    [Fact] public void Dataparallel_module_without_root() => Check("module.features[$00]", Vgg, "features.0");
    [Fact] public void Dataparallel_module_hovering_the_container() => Check("module.fe$0atures[0]", Vgg, "features");
    [Fact] public void Method_after_a_layer_is_not_a_layer() => Check("model.conv1.regi$0ster_forward_hook(f)", SmallCnn, null);

    [Fact] public void Features_index() => Check("act = features[2$08]", Vgg, "features.28");
    [Fact] public void Model_features_index() => Check("h = model.features[28$0].register_forward_hook(hook)", Vgg, "features.28");
    [Fact] public void Model_features_name() => Check("h = model.feat$0ures[28]", Vgg, "features");
    [Fact] public void Classifier_index_through_self() => Check("x = self.classifier[$06](x)", Vgg, "classifier.6");
    [Fact] public void List_literal_index_is_not_a_layer() => Check("xs = [2$08]", Vgg, null);

    // ---- Python: suffix matches ----

    [Fact]
    public void Submodule_attribute_matches_every_block() => Check("""
        class BasicBlock(nn.Module):
            def __init__(self):
                self.conv2 = conv3x3(planes, planes)
                self.bn$02 = norm_layer(planes)
        """, ResNet, "bn2 → layer1.0.bn2, layer1.1.bn2, layer2.0.bn2, layer2.1.bn2, layer3.0.bn2, layer3.1.bn2, layer4.0.bn2, layer4.1.bn2");

    [Fact]
    public void Submodule_chain_matches_as_suffix() => Check("y = self.downsample[$01](x)", ResNet,
        "downsample.1 → layer2.0.downsample.1, layer3.0.downsample.1, layer4.0.downsample.1");

    [Fact]
    public void Block_class_prefers_its_own_layers_over_a_top_level_layer_of_the_same_name() => Check("""
        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, inplanes, planes, stride=1, downsample=None):
                super().__init__()
                self.conv1 = conv3x3(inplanes, planes, stride)
                self.bn1 = nn.BatchNorm2d(planes)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = conv3x3(planes, planes)
                self.bn2 = nn.BatchNorm2d(planes)
                self.downsample = downsample
                self.stride = stride

            def forward(self, x):
                out = self.con$0v1(x)
                return out


        class ResNet(nn.Module):
            def __init__(self, block, layers, num_classes=1000):
                self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        """, ResNet, "conv1 → layer1.0.conv1, layer1.1.conv1, layer2.0.conv1, layer2.1.conv1, layer3.0.conv1, layer3.1.conv1, layer4.0.conv1, layer4.1.conv1");

    [Fact]
    public void Model_class_keeps_the_top_level_layer() => Check("""
        class BasicBlock(nn.Module):
            def __init__(self, inplanes, planes):
                self.conv1 = conv3x3(inplanes, planes)
                self.conv2 = conv3x3(planes, planes)


        class ResNet(nn.Module):
            def __init__(self, block, layers, num_classes=1000):
                super().__init__()
                self.inplanes = 64
                self.groups = groups
                self.co$0nv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
                self.bn1 = norm_layer(self.inplanes)
                self.layer1 = self._make_layer(block, 64, layers[0])
                self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
                self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
                self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
                self.fc = nn.Linear(512 * block.expansion, num_classes)
        """, ResNet, "conv1");

    [Fact]
    public void Local_variable_outside_a_class_matches_as_suffix() => Check("y = block.conv$02(x)", ResNet,
        "conv2 → layer1.0.conv2, layer1.1.conv2, layer2.0.conv2, layer2.1.conv2, layer3.0.conv2, layer3.1.conv2, layer4.0.conv2, layer4.1.conv2");

    // ---- Python: module constructions ----

    [Fact] public void Hovering_the_constructor_of_an_assigned_module() => Check("self.conv1 = nn.Con$0v2d(3, 16, 3)", SmallCnn, "conv1");
    [Fact] public void Hovering_the_nn_of_an_assigned_module() => Check("self.fc = n$0n.Linear(64, 10)", SmallCnn, "fc");
    [Fact] public void Hovering_an_argument_of_a_constructor_gives_nothing() => Check("self.conv1 = nn.Conv2d(3, 1$06, 3)", SmallCnn, null);

    private const string VggSource = """
        class VGG(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(3, 64, kernel_size=3, padding=1),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(64, 64, kernel_size=3, padding=1),
                    nn.ReLU(inplace=True),
                )
                self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 10))
        """;

    [Fact] public void Sequential_first_entry() => Check(VggSource.Replace("nn.Conv2d(3, 64", "nn.Con$0v2d(3, 64"), Vgg, "features.0");
    [Fact] public void Sequential_second_entry() => Check(VggSource.Replace("nn.ReLU(inplace=True),\n            nn.Conv2d(64", "nn.Re$0LU(inplace=True),\n            nn.Conv2d(64"), Vgg, "features.1");
    [Fact] public void Sequential_third_entry_hovering_nn() => Check(VggSource.Replace("n.Conv2d(64", "$0n.Conv2d(64"), Vgg, "features.2");
    [Fact] public void Sequential_on_one_line() => Check(VggSource.Replace("nn.Linear(4096, 10)", "nn.Lin$0ear(4096, 10)"), Vgg, "classifier.6");
    [Fact] public void Sequential_name_itself() => Check(VggSource.Replace("self.features", "self.fea$0tures"), Vgg, "features");
    [Fact] public void Sequential_constructor_is_the_container() => Check(VggSource.Replace("nn.Sequential(\n", "nn.Seque$0ntial(\n"), Vgg, "features");

    [Fact]
    public void Nested_sequential() => Check("""
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3), nn.Re$0LU()),
            nn.MaxPool2d(2),
        )
        """, ["features", "features.0", "features.0.0", "features.0.1", "features.1"], "features.0.1");

    [Fact]
    public void Sequential_with_unknown_container_gives_nothing() => Check("""
        return nn.Sequential(nn.Conv2d(3, 8, 3), nn.Re$0LU())
        """, Vgg, null);

    [Fact]
    public void Module_list_entries() => Check("""
        self.blocks = nn.ModuleList([
            nn.Conv2d(3, 8, 3),
            nn.Con$0v2d(8, 8, 3),
        ])
        """, ["blocks", "blocks.0", "blocks.1"], "blocks.1");

    private const string OrderedDictSource = """
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, 64, kernel_size=7)),
            ("norm0", nn.BatchNorm2d(64)),
            ('relu0', nn.ReLU(inplace=True)),
        ]))
        """;

    private static readonly string[] DenseStem = ["features", "features.conv0", "features.norm0", "features.relu0"];

    [Fact] public void Ordered_dict_entry_by_its_name() => Check(OrderedDictSource.Replace("(\"norm0\"", "(\"no$0rm0\""), DenseStem, "features.norm0");
    [Fact] public void Ordered_dict_entry_by_its_module() => Check(OrderedDictSource.Replace("nn.Conv2d", "nn.Conv$02d"), DenseStem, "features.conv0");
    [Fact] public void Ordered_dict_entry_single_quoted() => Check(OrderedDictSource.Replace("'relu0'", "'re$0lu0'"), DenseStem, "features.relu0");

    [Fact]
    public void Ordered_dict_entry_with_unknown_container_matches_by_name() => Check("""
        layers = OrderedDict([("conv1", nn.Conv$02d(3, 8, 3))])
        """, ResNet, "conv1");

    [Fact]
    public void Add_module_name() => Check("self.add_module(\"dense$0layer1\", layer)", ["denseblock1", "denseblock1.denselayer1"],
        "denselayer1 → denseblock1.denselayer1");
    [Fact] public void Add_module_on_a_submodule() => Check("self.features.add_module(\"po$0ol0\", nn.MaxPool2d(3))", ["features", "features.pool0"], "features.pool0");
    [Fact] public void Add_module_constructor() => Check("self.features.add_module(\"pool0\", nn.MaxPo$0ol2d(3))", ["features", "features.pool0"], "features.pool0");
    [Fact] public void Module_dict_entry() => Check("self.heads = nn.ModuleDict({\"cls\": nn.Lin$0ear(8, 2), \"box\": nn.Linear(8, 4)})", ["heads", "heads.cls", "heads.box"], "heads.cls");
    [Fact] public void Module_dict_key() => Check("self.heads = nn.ModuleDict({\"cls\": nn.Linear(8, 2), \"b$0ox\": nn.Linear(8, 4)})", ["heads", "heads.cls", "heads.box"], "heads.box");

    [Fact]
    public void Triple_quoted_docstrings_are_skipped() => Check("\"\"\"Hover self.conv1 here.\nself.co$0nv1\"\"\"\nself.conv1 = 1", SmallCnn, null);

    [Fact]
    public void Second_line_crlf() => Check("import torch\r\nx = self.conv$04(x)\r\n", SmallCnn, "conv4");

    // ---- C# (TorchSharp) ----

    [Fact] public void Csharp_field_declaration() => CheckCs("private Conv2d co$0nv1;", SmallCnn, "conv1");
    [Fact] public void Csharp_generic_field_declaration() => CheckCs("private readonly Module<Tensor, Tensor> f$0c;", SmallCnn, "fc");
    [Fact] public void Csharp_constructor_assignment() => CheckCs("    conv1 = Conv2d(3, 16, 3, padding: 1);\n    b$0n1 = BatchNorm2d(16);", SmallCnn, "bn1");
    [Fact] public void Csharp_factory_of_an_assignment() => CheckCs("conv1 = Conv$02d(3, 16, 3, padding: 1);", SmallCnn, "conv1");
    [Fact] public void Csharp_field_initializer_factory() => CheckCs("private readonly Module<Tensor, Tensor> conv2 = nn.Conv$02d(16, 32, 3);", SmallCnn, "conv2");
    [Fact] public void Csharp_this_access_in_forward() => CheckCs("var x = this.conv$03.forward(input);", SmallCnn, "conv3");
    [Fact] public void Csharp_forward_call_is_not_a_layer() => CheckCs("var x = conv3.for$0ward(input);", SmallCnn, null);
    [Fact] public void Csharp_model_chain_with_index() => CheckCs("var h = model.layer4[1].co$0nv2;", ResNet, "layer4.1.conv2");
    [Fact] public void Csharp_comment() => CheckCs("// conv$01 is the stem", SmallCnn, null);
    [Fact] public void Csharp_block_comment() => CheckCs("/* conv1\n conv$02 */ int x;", SmallCnn, null);

    [Fact]
    public void Csharp_named_sequential_entry() => CheckCs("""
        features = Sequential(
            ("conv0", Conv2d(3, 64, 7)),
            ("norm0", BatchNo$0rm2d(64)));
        """, DenseStem, "features.norm0");

    [Fact]
    public void Csharp_named_sequential_entry_name() => CheckCs("""
        features = Sequential(("co$0nv0", Conv2d(3, 64, 7)), ("norm0", BatchNorm2d(64)));
        """, DenseStem, "features.conv0");

    [Fact]
    public void Csharp_positional_sequential_entry() => CheckCs("""
        this.features = Sequential(Conv2d(3, 64, 3), ReLU(), Conv2d(64, 64, 3), Re$0LU());
        """, Vgg, "features.3");

    [Fact]
    public void Csharp_register_module() => CheckCs("register_module(\"cla$0ssifier\", head);", Vgg, "classifier");

    [Fact]
    public void Csharp_block_class_prefers_block_layers() => CheckCs("""
        class BasicBlock : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
            private readonly int stride;

            public override Tensor forward(Tensor x) => bn2.forward(con$0v2.forward(bn1.forward(this.conv1.forward(x))));
        }
        """, ResNet, "conv2 → layer1.0.conv2, layer1.1.conv2, layer2.0.conv2, layer2.1.conv2, layer3.0.conv2, layer3.1.conv2, layer4.0.conv2, layer4.1.conv2");

    [Fact]
    public void Csharp_block_class_self_access_prefers_block_layers() => CheckCs("""
        class BasicBlock : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
            public override Tensor forward(Tensor x) => this.con$0v1.forward(x);
        }
        """, ResNet, "conv1 → layer1.0.conv1, layer1.1.conv1, layer2.0.conv1, layer2.1.conv1, layer3.0.conv1, layer3.1.conv1, layer4.0.conv1, layer4.1.conv1");

    [Fact]
    public void Csharp_model_class_keeps_top_level_layers() => CheckCs("""
        class ResNet : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool, fc;
            private int inplanes = 64;
            public override Tensor forward(Tensor x) => this.con$0v1.forward(x);
        }
        """, ResNet, "conv1");

    [Fact]
    public void Csharp_verbatim_and_interpolated_strings_are_skipped() => CheckCs("var a = @\"c:\\conv1\"; var b = $\"{con$0v1}\";", SmallCnn, null);

    // ---- language detection ----

    [Theory]
    [InlineData("python", "file:///a.txt", SourceLanguage.Python)]
    [InlineData("csharp", "file:///a.py", SourceLanguage.CSharp)]
    [InlineData("", "file:///m/Net.cs", SourceLanguage.CSharp)]
    [InlineData(null, "file:///m/net.py", SourceLanguage.Python)]
    public void Language_from_language_id_then_extension(string? languageId, string uri, SourceLanguage expected) =>
        SourceLanguages.Detect(languageId, uri).Should().Be(expected);

    [Fact]
    public void Range_covers_the_hovered_token()
    {
        var result = LayerReferenceResolver.Resolve("a\n  x = self.conv2(x)", new Position(1, 13), SmallCnn, SourceLanguage.Python);
        result!.Range.Should().Be(new UnitScope.Protocol.Range(new Position(1, 11), new Position(1, 16)));
    }
}
