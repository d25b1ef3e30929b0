using UnitScope.Engine.Layers.ReceptiveFields;
using UnitScope.Engine.Tests.Models;
using UnitScope.Engine.Tests.Onnx;

namespace UnitScope.Engine.Tests.Layers;

/// <summary>
/// Receptive fields against published values. Sizes and strides: Araujo, Norris &amp; Sim, "Computing Receptive
/// Fields of Convolutional Neural Networks", Distill 2019 (doi 10.23915/distill.00021), table of receptive fields of
/// classification networks: AlexNet r = 195, S = 32 and VGG-16 r = 212, S = 32, P = 90 at their last pooling layer;
/// ResNet-18 (torchvision, stride on the 3×3 convolution): conv1 7, maxpool 11, layer1 43, layer2 99, layer3 211,
/// layer4 435 (S. Wang's table "ResNet Receptive Field Size", gist.github.com/samson-wang/a6073c18f2adf16e0ab5fb95b53db3e6).
/// Starts (−P) for AlexNet and ResNet-18 follow from torchvision's paddings (worked out in the comments). The
/// architectures' geometry does not depend on their widths, so the reduced-width fixtures at 224 px stand for them.
/// </summary>
// Compares forward passes with each other (before/after, perturbed/not): alone, so that no other test switches oneDNN between them.
[Collection(ExactNumerics.Name)]
public class ReceptiveFieldTests
{
    static ModelSession Load(string name) =>
        ModelSession.Load(ModelFixtures.Checkpoint(name), new ModelOptions { Device = "cpu", InputHeight = 224, InputWidth = 224 });

    static void Check(ModelSession model, string layer, int size, int stride, int start, ReceptiveFieldMethod method)
    {
        var found = model.ReceptiveFieldOf(layer);
        found.Method.Should().Be(method, layer);
        found.Field.Should().NotBeNull(layer);
        found.Field!.Rows.Should().Be(new FieldAxis(size, stride, start), layer);
        found.Field.Columns.Should().Be(new FieldAxis(size, stride, start), layer);
    }

    [Fact]
    public void AlexNet_matches_the_published_field_composed_along_its_chain()
    {
        using var model = Load("alexnet_small");
        // conv1 11/4 pad 2: start −2; pool 3/2; conv2 5 pad 2 (jump 8): −2 − 16 = −18; pool; conv3–5 3 pad 1 (jump 16): −66.
        Check(model, "features.0", 11, 4, -2, ReceptiveFieldMethod.Chain);
        Check(model, "features.2", 19, 8, -2, ReceptiveFieldMethod.Chain);
        Check(model, "features.3", 51, 8, -18, ReceptiveFieldMethod.Chain);
        Check(model, "features.10", 163, 16, -66, ReceptiveFieldMethod.Chain);
        Check(model, "features.12", 195, 32, -66, ReceptiveFieldMethod.Chain);
        model.ReceptiveFieldOf("classifier.1").Method.Should().Be(ReceptiveFieldMethod.WholeInput);
    }

    [Fact]
    public void Vgg16_matches_the_published_field_composed_along_its_chain()
    {
        using var model = Load("vgg16_small");
        Check(model, "features.0", 3, 1, -1, ReceptiveFieldMethod.Chain);
        Check(model, "features.4", 6, 2, -2, ReceptiveFieldMethod.Chain);      // pool1
        Check(model, "features.28", 196, 16, -90, ReceptiveFieldMethod.Chain); // conv5_3
        Check(model, "features.29", 196, 16, -90, ReceptiveFieldMethod.Chain); // its ReLU
        Check(model, "features.30", 212, 32, -90, ReceptiveFieldMethod.Chain); // pool5: Distill's r = 212, S = 32, P = 90
        model.ReceptiveFieldOf("features").Field.Should().Be(model.ReceptiveFieldOf("features.30").Field, "a Sequential's output is its last module's");
    }

    [Fact]
    public void ResNet18_matches_the_published_fields_measured_through_its_residual_blocks()
    {
        using var model = Load("resnet18_small");
        // conv1 7/2 pad 3: −3; maxpool 3/2 pad 1: −5; each 3×3 pad 1 adds −jump: layer1 −21, layer2 −49, layer3 −105, layer4 −217.
        Check(model, "conv1", 7, 2, -3, ReceptiveFieldMethod.Chain);
        Check(model, "maxpool", 11, 4, -5, ReceptiveFieldMethod.Chain);
        Check(model, "layer1.0.conv2", 27, 4, -13, ReceptiveFieldMethod.Chain); // the main path alone, before the sum
        Check(model, "layer1", 43, 4, -21, ReceptiveFieldMethod.Gradient);
        Check(model, "layer2", 99, 8, -49, ReceptiveFieldMethod.Gradient);
        Check(model, "layer3", 211, 16, -105, ReceptiveFieldMethod.Gradient);
        Check(model, "layer4", 435, 32, -217, ReceptiveFieldMethod.Gradient);
        Check(model, "layer4.1.relu", 435, 32, -217, ReceptiveFieldMethod.Gradient);
        model.ReceptiveFieldOf("avgpool").Method.Should().Be(ReceptiveFieldMethod.WholeInput);
        model.ReceptiveFieldOf("fc").Method.Should().Be(ReceptiveFieldMethod.WholeInput);
    }

    [Fact]
    public void An_onnx_resnet18_graph_gets_the_same_fields_as_the_zoo_model()
    {
        using var model = ModelSession.Load(OnnxFixtures.Model("resnet18_small"), new ModelOptions { Device = "cpu", InputHeight = 224, InputWidth = 224 });
        Check(model, "conv1", 7, 2, -3, ReceptiveFieldMethod.Gradient);
        Check(model, "maxpool", 11, 4, -5, ReceptiveFieldMethod.Gradient);
        Check(model, "layer1", 43, 4, -21, ReceptiveFieldMethod.Gradient);
        Check(model, "layer2.0.conv1", 51, 8, -25, ReceptiveFieldMethod.Gradient);
        Check(model, "layer3", 211, 16, -105, ReceptiveFieldMethod.Gradient);
        Check(model, "layer4", 435, 32, -217, ReceptiveFieldMethod.Gradient);
    }

    [Theory]
    [InlineData("vgg16_small")]
    [InlineData("alexnet_small")]
    [InlineData("smallcnn_cifar")]
    public void Measuring_gives_what_composing_gives_on_chains(string name)
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint(name), new ModelOptions { Device = "cpu" });
        var composed = model.ReceptiveFields.Where(f => f.Method == ReceptiveFieldMethod.Chain).ToList();
        composed.Should().NotBeEmpty();
        using var backend = model.AvoidsOneDnn ? UnitScope.Engine.Runtime.OneDnnConvolutions.Avoid() : null; // as the session runs it
        var measured = GradientFields.Measure(model.Module, [.. composed.Select(f => f.Layer)],
            [model.Input.Channels, model.Input.Height, model.Input.Width], TorchSharp.torch.CPU, () => new ModuleSurrogates(model.Module));
        foreach (var field in composed)
        {
            measured[field.Layer].Method.Should().Be(ReceptiveFieldMethod.Gradient, field.Layer);
            measured[field.Layer].Field.Should().Be(field.Field, field.Layer);
        }
    }

    [Fact]
    public void A_module_called_several_times_has_the_field_of_its_last_call()
    {
        // SmallCnn shares one ReLU and one max-pool among its blocks (samples/train_smallcnn.py): 3×3 convs, 2×2 pools.
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu" });
        Check(model, "conv1", 3, 1, -1, ReceptiveFieldMethod.Chain);
        Check(model, "conv2", 8, 2, -3, ReceptiveFieldMethod.Chain);
        Check(model, "relu", 3 + 1 + 4 + 2 + 8 + 4 + 16, 8, -1 - 2 - 4 - 8, ReceptiveFieldMethod.Chain); // after conv4
        Check(model, "pool", 3 + 1 + 4 + 2 + 8 + 4, 8, -1 - 2 - 4, ReceptiveFieldMethod.Chain);             // after the third block
    }

    [Fact]
    public void Boxes_of_units_follow_the_field_and_clip_to_the_image()
    {
        var field = new ReceptiveField(new FieldAxis(11, 4, -2), new FieldAxis(11, 4, -2));
        field.BoxOf(0, 0).Should().Be(new PixelBox(-2, -2, 11, 11));
        field.BoxOf(3, 5).Should().Be(new PixelBox(10, 18, 11, 11));
        field.BoxOf(0, 0).ClipTo(224, 224).Should().Be(new PixelBox(0, 0, 9, 9));
        field.BoxOf(54, 54).ClipTo(224, 224).Should().Be(new PixelBox(214, 214, 10, 10));
    }
}
