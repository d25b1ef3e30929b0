using UnitScope.Protocol;
using static UnitScope.Server.Tests.LayerReferenceResolverTests;

namespace UnitScope.Server.Tests;

/// <summary>
/// Files with several module classes: each class's layers are attributed by structure (the names and kinds
/// its code registers against the loaded model's layers), so a generator's hovers are not put on the
/// discriminator beside it, a helper block's on the model that uses it, or a torchvision model's on a
/// tutorial's <c>Net</c>; a name defined in two classes resolves per class. <c>$0</c> marks the cursor.
/// </summary>
public class MultiClassSourceTests
{
    // ---- a GAN's generator and discriminator (PyTorch's DCGAN example, two stages) ----

    private const string Dcgan = """
        class Generator(nn.Module):
            def __init__(self, ngpu):
                super(Generator, self).__init__()
                self.ngpu = ngpu
                self.main = nn.Sequential(
                    nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
                    nn.BatchNorm2d(ngf * 2),
                    nn.ReLU(True),
                    nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
                    nn.Tanh()
                )

            def forward(self, input):
                return self.main(input)


        class Discriminator(nn.Module):
            def __init__(self, ngpu):
                super(Discriminator, self).__init__()
                self.ngpu = ngpu
                self.main = nn.Sequential(
                    nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(ndf, 1, 4, 1, 0, bias=False),
                    nn.BatchNorm2d(1),
                    nn.Sigmoid()
                )

            def forward(self, input):
                return self.main(input)


        netG = Generator(ngpu)
        hook = netG.main[0].register_forward_hook(save)
        """;

    private static readonly LayerInfo[] GeneratorLayers =
    [
        L("main", "Sequential"), L("main.0", "ConvTranspose2d"), L("main.1", "BatchNorm2d"), L("main.2", "ReLU"),
        L("main.3", "ConvTranspose2d"), L("main.4", "Tanh"),
    ];

    private static readonly LayerInfo[] DiscriminatorLayers =
    [
        L("main", "Sequential"), L("main.0", "Conv2d"), L("main.1", "LeakyReLU"), L("main.2", "Conv2d"),
        L("main.3", "BatchNorm2d"), L("main.4", "Sigmoid"),
    ];

    /// <summary><paramref name="source"/> with the cursor <paramref name="at"/> characters into the <paramref name="occurrence"/>-th <paramref name="anchor"/>.</summary>
    private static string Mark(string source, string anchor, int at, int occurrence = 0)
    {
        var index = -1;
        for (var k = 0; k <= occurrence; k++)
        {
            index = source.IndexOf(anchor, index + 1, StringComparison.Ordinal);
            index.Should().BeGreaterThanOrEqualTo(0, $"the source has {occurrence + 1} of '{anchor}'");
        }
        return source.Insert(index + at, "$0");
    }

    private static string DcganAt(string anchor, int at, int occurrence = 0) => Mark(Dcgan, anchor, at, occurrence);

    [Fact] public void Generator_loaded_its_own_main() => Check(DcganAt("self.main(", 7, 0), GeneratorLayers, "main");
    [Fact] public void Generator_loaded_the_discriminators_main_says_nothing() => Check(DcganAt("self.main(", 7, 1), GeneratorLayers, null);
    [Fact] public void Generator_loaded_its_second_transposed_convolution() => Check(DcganAt("nn.ConvTranspose2d(ngf * 2, nc", 5), GeneratorLayers, "main.3");
    [Fact] public void Generator_loaded_the_discriminators_convolution_says_nothing() => Check(DcganAt("nn.Conv2d(ndf, 1", 5), GeneratorLayers, null);
    [Fact] public void Generator_loaded_a_hook_outside_the_classes() => Check(DcganAt("netG.main[0]", 10), GeneratorLayers, "main.0");
    [Fact] public void Discriminator_loaded_its_own_main() => Check(DcganAt("self.main(", 7, 1), DiscriminatorLayers, "main");
    [Fact] public void Discriminator_loaded_its_batch_norm() => Check(DcganAt("nn.BatchNorm2d(1)", 5), DiscriminatorLayers, "main.3");
    [Fact] public void Discriminator_loaded_the_generators_main_says_nothing() => Check(DcganAt("self.main(", 7, 0), DiscriminatorLayers, null);
    [Fact] public void Discriminator_loaded_the_generators_batch_norm_says_nothing() => Check(DcganAt("nn.BatchNorm2d(ngf * 2)", 5), DiscriminatorLayers, null);

    // ---- a helper block and the model that uses it, both defining "conv" ----

    private const string HelperAndModel = """
        class ConvBlock(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, padding=1)
                self.bn = nn.BatchNorm2d(cout)

            def forward(self, x):
                return F.relu(self.bn(self.conv(x)))


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3)
                self.block1 = ConvBlock(8, 16)
                self.block2 = ConvBlock(16, 32)
                self.fc = nn.Linear(32, 10)

            def forward(self, x):
                return self.fc(self.block2(self.block1(self.conv(x))).mean((2, 3)))
        """;

    private static readonly LayerInfo[] HelperModelLayers =
    [
        L("conv", "Conv2d"), L("block1", "ConvBlock"), L("block1.conv", "Conv2d"), L("block1.bn", "BatchNorm2d"),
        L("block2", "ConvBlock"), L("block2.conv", "Conv2d"), L("block2.bn", "BatchNorm2d"), L("fc", "Linear"),
    ];

    private static string HelperAt(string anchor, int at, int occurrence = 0) => Mark(HelperAndModel, anchor, at, occurrence);

    [Fact] public void Helper_conv_is_each_blocks_conv() => Check(HelperAt("self.conv(", 7, 0), HelperModelLayers, "conv → block1.conv, block2.conv");
    [Fact] public void Helper_constructor_is_each_blocks_conv() => Check(HelperAt("nn.Conv2d(cin", 5), HelperModelLayers, "conv → block1.conv, block2.conv");
    [Fact] public void Model_conv_is_the_stem() => Check(HelperAt("self.conv(", 7, 1), HelperModelLayers, "conv");
    [Fact] public void Model_constructor_is_the_stem() => Check(HelperAt("nn.Conv2d(3, 8", 5), HelperModelLayers, "conv");
    [Fact] public void Model_block_attribute() => Check(HelperAt("self.block2 = ", 7), HelperModelLayers, "block2");
    [Fact] public void Model_helper_construction() => Check(HelperAt("ConvBlock(16", 3), HelperModelLayers, "block2");

    // ---- a torchvision fine-tuning script beside a tutorial's Net (issue 19's file) ----

    private const string FineTuning = """
        import torchvision

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 6, 5)
                self.bn1 = nn.BatchNorm2d(6)
                self.fc = nn.Linear(16 * 5 * 5, 10)

            def forward(self, x):
                x = self.bn1(self.conv1(x))
                return self.fc(torch.flatten(x, 1))


        model = torchvision.models.resnet18()
        model.fc = nn.Linear(512, 10)
        features = model.layer4[1].conv2
        """;

    private static string FineTuningAt(string anchor, int at) => Mark(FineTuning, anchor, at);

    [Fact] public void Net_conv1_is_not_resnets_although_both_have_conv1_bn1_and_fc() => Check(FineTuningAt("self.conv1(x)", 7), ResNet, null);
    [Fact] public void Net_fc_says_nothing() => Check(FineTuningAt("self.fc(torch", 6), ResNet, null);
    [Fact] public void Net_constructor_says_nothing() => Check(FineTuningAt("nn.Linear(16", 5), ResNet, null);
    [Fact] public void Torchvision_head_replacement() => Check(FineTuningAt("nn.Linear(512", 5), ResNet, "fc");
    [Fact] public void Torchvision_access_path() => Check(FineTuningAt("layer4[1].conv2", 12), ResNet, "layer4.1.conv2");

    // ---- the same in C# (TorchSharp) ----

    private const string CsGan = """
        class Generator : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> main;
            public Generator() : base("Generator")
            {
                main = Sequential(ConvTranspose2d(100, 16, 4), BatchNorm2d(16), ReLU(), ConvTranspose2d(16, 3, 4, stride: 2, padding: 1), Tanh());
                RegisterComponents();
            }
            public override Tensor forward(Tensor z) => main.forward(z);
        }

        class Discriminator : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> main;
            public Discriminator() : base("Discriminator")
            {
                main = Sequential(Conv2d(3, 16, 4, stride: 2), LeakyReLU(0.2), Conv2d(16, 1, 4), BatchNorm2d(1), Sigmoid());
                RegisterComponents();
            }
            public override Tensor forward(Tensor x) => main.forward(x);
        }
        """;

    private static string CsGanAt(string anchor, int at, int occurrence = 0) => Mark(CsGan, anchor, at, occurrence);

    [Fact] public void Csharp_generator_loaded_its_main() => CheckCs(CsGanAt("main.forward", 2, 0), GeneratorLayers, "main");
    [Fact] public void Csharp_generator_loaded_the_discriminators_main_says_nothing() => CheckCs(CsGanAt("main.forward", 2, 1), GeneratorLayers, null);
    [Fact] public void Csharp_generator_loaded_its_transposed_convolution() => CheckCs(CsGanAt("ConvTranspose2d(16, 3", 3), GeneratorLayers, "main.3");
    [Fact] public void Csharp_generator_loaded_the_discriminators_convolution_says_nothing() => CheckCs(CsGanAt("Conv2d(16, 1", 3), GeneratorLayers, null);
    [Fact] public void Csharp_discriminator_loaded_its_main() => CheckCs(CsGanAt("main.forward", 2, 1), DiscriminatorLayers, "main");
    [Fact] public void Csharp_discriminator_loaded_its_leaky_relu() => CheckCs(CsGanAt("LeakyReLU(0.2)", 3), DiscriminatorLayers, "main.1");

    private const string CsHelperAndModel = """
        class ConvBlock : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> conv, bn;
            public ConvBlock(long cin, long cout) : base("ConvBlock")
            {
                conv = Conv2d(cin, cout, 3, padding: 1);
                bn = BatchNorm2d(cout);
                RegisterComponents();
            }
            public override Tensor forward(Tensor x) => functional.relu(bn.forward(conv.forward(x)));
        }

        class Model : Module<Tensor, Tensor>
        {
            private readonly Module<Tensor, Tensor> conv = Conv2d(3, 8, 3);
            private readonly ConvBlock block1 = new ConvBlock(8, 16);
            private readonly ConvBlock block2 = new ConvBlock(16, 32);
            private readonly Linear fc = Linear(32, 10);
            public Model() : base("Model") => RegisterComponents();
            public override Tensor forward(Tensor x) => fc.forward(block2.forward(block1.forward(conv.forward(x))).mean([2, 3]));
        }
        """;

    private static string CsHelperAt(string anchor, int at, int occurrence = 0) => Mark(CsHelperAndModel, anchor, at, occurrence);

    [Fact] public void Csharp_helper_conv_is_each_blocks_conv() => CheckCs(CsHelperAt("conv.forward", 2, 0), HelperModelLayers, "conv → block1.conv, block2.conv");
    [Fact] public void Csharp_helper_field_is_each_blocks_conv() => CheckCs(CsHelperAt("conv, bn;", 1), HelperModelLayers, "conv → block1.conv, block2.conv");
    [Fact] public void Csharp_model_conv_is_the_stem() => CheckCs(CsHelperAt("conv.forward", 2, 1), HelperModelLayers, "conv");
    [Fact] public void Csharp_model_field_initializer_is_the_stem() => CheckCs(CsHelperAt("Conv2d(3, 8", 3), HelperModelLayers, "conv");
    [Fact] public void Csharp_model_block_field() => CheckCs(CsHelperAt("block2 = new", 3), HelperModelLayers, "block2");

    [Fact]
    public void Csharp_unrelated_class_beside_a_resnet_says_nothing() => CheckCs("""
        class Net : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(3, 6, 5);
            private readonly BatchNorm2d bn1 = BatchNorm2d(6);
            private readonly Linear fc = Linear(400, 10);
            public override Tensor forward(Tensor x) => f$0c.forward(bn1.forward(conv1.forward(x)).flatten(1));
        }
        """, ResNet, null);
}
