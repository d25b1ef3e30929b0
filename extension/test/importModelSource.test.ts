import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  definitionAt,
  findCSharpModelClasses,
  findModelDefinitions,
  kwargsTemplate,
  parseKwargs,
  parseParams,
  pythonLiteralToJson,
} from "../src/importModelSource";
import { REPO_ROOT } from "./support/fixtures";

/** The definitions found in `source`, as "kind name@line(params)". */
function check(source: string, expected: string[]): void {
  const found = findModelDefinitions(source).map(
    (d) => `${d.kind} ${d.name}@${d.line}(${d.params.map((p) => (p.default === undefined ? p.name : `${p.name}=${p.default}`)).join(", ")})`,
  );
  assert.deepEqual(found, expected);
}

describe("finding models in Python source", () => {
  it("finds the sample SmallCNN with its constructor's parameters", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "samples/train_smallcnn.py"), "utf8");
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.startsWith("class SmallCNN"));
    check(text, [`class SmallCNN@${line}(in_channels=3, num_classes=10, width=16)`]);
  });

  it("finds nn.Module subclasses by their bases, directly or through a class of the same file", () => {
    check(
      [
        "import torch",
        "from torch import nn",
        "class Block(nn.Sequential):",
        "    pass",
        "class Net(Block):",
        "    def __init__(self, width: int = 8, act='relu', *, classes=10, **extra):",
        "        super().__init__()",
        "class Other(torch.nn.Module):",
        "    def __init__(self, width):",
        "        pass",
        "class Config:",
        "    width = 3",
        "class Data(torch.utils.data.Dataset):",
        "    pass",
      ].join("\n"),
      ["class Block@2()", "class Net@4(width=8, act='relu', classes=10)", "class Other@7(width)"],
    );
  });

  it("finds factories that return a model, directly, through a variable, or by their annotation", () => {
    check(
      [
        "import torchvision",
        "class Net(nn.Module):",
        "    pass",
        "def make_net(width=8, num_classes=3):",
        "    return Net(width, num_classes)",
        "def resnet(num_classes=1000):",
        "    model = torchvision.models.resnet18(num_classes=num_classes)",
        "    model.fc = nn.Linear(512, num_classes)",
        "    return model",
        "def head(n) -> nn.Module:",
        "    ...",
        "def train(model, data):",
        "    model = model.train()",
        "    return model",
        "def _private():",
        "    return Net()",
        "def seq():",
        "    return nn.Sequential(",
        "        nn.Conv2d(3, 4, 3),",
        "    )",
      ].join("\n"),
      ["class Net@1()", "factory make_net@3(width=8, num_classes=3)", "factory resnet@5(num_classes=1000)", "factory head@9(n)", "factory seq@16()"],
    );
  });

  it("reads multi-line headers and ignores definitions inside strings, methods and nested scopes", () => {
    check(
      [
        '"""A docstring that mentions',
        "class Fake(nn.Module):",
        '"""',
        "class Net(",
        "    nn.Module,  # the base",
        "):",
        "    '''Doc",
        "class Inner(nn.Module): pass",
        "    '''",
        "    def __init__(",
        "        self,",
        "        sizes=(1, 2),  # comment, with a comma",
        '        name="a, b",',
        "    ):",
        "        class Local(nn.Module):",
        "            pass",
        "    def build(self):",
        "        return Net()",
        "def main():",
        "    class Hidden(nn.Module):",
        "        pass",
      ].join("\n"),
      ['class Net@3(sizes=(1, 2), name="a, b")'],
    );
  });

  it("finds the fixture package's class and factory", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "tests/fixtures/import_model/userproj/models/net.py"), "utf8");
    assert.deepEqual(
      findModelDefinitions(text).map((d) => d.name),
      ["TinyNet", "make_tinynet"],
    );
  });

  it("tells which definition a line belongs to (its header, however many lines)", () => {
    const text = ["class Net(", "    nn.Module", "):", "    def __init__(self):", "        pass"].join("\n");
    const defs = findModelDefinitions(text);
    assert.equal(definitionAt(defs, text, 0)?.name, "Net");
    assert.equal(definitionAt(defs, text, 1)?.name, "Net");
    assert.equal(definitionAt(defs, text, 2)?.name, "Net");
    assert.equal(definitionAt(defs, text, 3), undefined, "not inside the body");
  });
});

describe("keyword arguments for the exporter", () => {
  it("parses parameters with annotations, defaults and separators", () => {
    assert.deepEqual(parseParams("self, a, b: int = 3, /, c=[1, 2], *args, d='x=y', e: Tuple[int, int] = (1, 2), **kw"), [
      { name: "self", default: undefined },
      { name: "a", default: undefined },
      { name: "b", default: "3" },
      { name: "c", default: "[1, 2]" },
      { name: "d", default: "'x=y'" },
      { name: "e", default: "(1, 2)" },
    ]);
  });

  it("turns literal defaults into JSON and leaves the rest to the code", () => {
    assert.equal(pythonLiteralToJson("10"), 10);
    assert.equal(pythonLiteralToJson("-1.5e-3"), -0.0015);
    assert.equal(pythonLiteralToJson("True"), true);
    assert.equal(pythonLiteralToJson("None"), null);
    assert.equal(pythonLiteralToJson("'relu'"), "relu");
    assert.deepEqual(pythonLiteralToJson("(3, 224, 224)"), [3, 224, 224]);
    assert.equal(pythonLiteralToJson("nn.ReLU"), undefined);
    assert.equal(pythonLiteralToJson("[1, x]"), undefined);
  });

  it("offers every literal default and leaves required parameters for the user to fill in", () => {
    assert.deepEqual(
      kwargsTemplate([
        { name: "width", default: undefined },
        { name: "num_classes", default: "10" },
        { name: "act", default: "nn.ReLU" },
      ]),
      { text: '{"width": null, "num_classes": 10}', required: ["width"] },
    );
    assert.deepEqual(kwargsTemplate([]), { text: "{}", required: [] });
  });

  it("accepts a JSON object with every required argument, and says what is wrong otherwise", () => {
    assert.deepEqual(parseKwargs('{"width": 4, "num_classes": 10}', ["width"]), { kwargs: { width: 4, num_classes: 10 } });
    assert.deepEqual(parseKwargs("  "), { kwargs: {} });
    assert.match((parseKwargs('{"width": null}', ["width"]) as { error: string }).error, /Give a value for width/);
    assert.match((parseKwargs("[1]") as { error: string }).error, /JSON object/);
    assert.match((parseKwargs("{num_classes: 4}") as { error: string }).error, /Not valid JSON/);
  });
});

describe("finding TorchSharp model classes in C# source", () => {
  it("lists the fixture's public Module<Tensor, Tensor> classes with their namespace", () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "tests/fixtures/torchsharp_models/Models.cs"), "utf8");
    assert.deepEqual(findCSharpModelClasses(text), [
      "FixtureModels.ConvBlock",
      "FixtureModels.TinyCnn",
      "FixtureModels.WideCnn",
      "FixtureModels.OddNet",
      "FixtureModels.Throwing",
      "FixtureModels.NeedsArguments",
    ]);
  });

  it("follows block namespaces and nesting, and skips abstract, commented and non-model classes", () => {
    const text = [
      "using TorchSharp;",
      "namespace A.B {",
      "  public class Net : torch.nn.Module<torch.Tensor, torch.Tensor> {",
      "    public class Inner : Module<Tensor, Tensor> { }",
      "  }",
      "  // public class Commented : Module<Tensor, Tensor> { }",
      "  public abstract class Base : Module<Tensor, Tensor> { }",
      "  public class Data : Dataset { }",
      "}",
      "namespace C {",
      "  public sealed class Other : Module<Tensor, Tensor>",
      "  {",
      "  }",
      "}",
    ].join("\n");
    assert.deepEqual(findCSharpModelClasses(text), ["A.B.Net", "A.B.Net.Inner", "C.Other"]);
  });
});
