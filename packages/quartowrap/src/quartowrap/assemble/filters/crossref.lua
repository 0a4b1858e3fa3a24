--[[
crossref.lua -- book-wide cross-references in Quarto syntax.

Input: the merged book, whose top-level blocks are one Div per chapter
(class `quartowrap-chapter`, attributes `slug`, `numbered`, `appendix`), and
the metadata key `quartowrap-crossref` (a JSON string of Quarto `crossref:`
options).  KCE reports number tables and figures consecutively through the
whole book (Table 1 ... Table 64), sections per chapter (3, 3.1, 3.1.1) and
appendices with letters (A, A.1).

Pass 1 numbers every header, figure, table and equation in reading order and
stores the number in the element's `number` attribute (plus `xref-label`, the
text a reference prints, for figures and tables).  Quarto's div syntax for
floats (`::: {#fig-x}` / `::: {#tbl-x}`, caption = last paragraph) is
normalised to plain Figure / Table elements so writers see one shape only.

Code blocks `{#lst-x lst-cap="..."}` become numbered listings and Divs
`::: {#thm-x}` (thm, lem, cor, prp, cnj, def, exm, exr) numbered theorem-like
blocks, each kind counted through the book like figures; their label is printed
into the AST ("Listing 2: caption" above the code, "**Theorem 1 (Name).**"
leading the body) because no writer has a shape of its own for them.

Pass 2 replaces every Cite whose key is a cross-reference (`fig-`, `tbl-`,
`sec-`, `eq-`, `lst-`, the theorem kinds, or capitalised `Fig-` ...) by a Link to `#id` with class
`quarto-xref`.  `[-@fig-x]` prints the number alone, `@Fig-x` capitalises the
prefix.  An unknown key becomes `?@fig-x` in bold, as Quarto prints it.

Output metadata (JSON strings, read back by assemble.py):
  quartowrap-xrefs       list of {id, kind, number, chapter, caption, label}
  quartowrap-unresolved  list of {key, chapter}
  quartowrap-citekeys    list of {key, chapter} for ordinary citations
  quartowrap-duplicates  list of {key, chapter} for labels defined twice
]]

local stringify = pandoc.utils.stringify

-- Tab headings are not sections: tabsets are shaped before headers are numbered.
local tabsets = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "tabsets.lua" }))

local KINDS = { fig = true, tbl = true, sec = true, eq = true, lst = true }

-- Quarto's theorem-like blocks (`::: {#thm-x}`), each kind numbered on its own.
local THEOREMS = {
  thm = "Theorem", lem = "Lemma", cor = "Corollary", prp = "Proposition",
  cnj = "Conjecture", def = "Definition", exm = "Example", exr = "Exercise",
}
for kind in pairs(THEOREMS) do
  KINDS[kind] = true
end

-- Quarto's cross-referenceable callouts (`::: {#nte-x .callout-note}`), each kind numbered
-- on its own; the prefix of each kind, and the callout class it goes with.
local CALLOUTS = {
  nte = { "Note", "note" }, tip = { "Tip", "tip" }, wrn = { "Warning", "warning" },
  imp = { "Important", "important" }, cau = { "Caution", "caution" },
}
for kind in pairs(CALLOUTS) do
  KINDS[kind] = true
end

local options = {}
local xrefs = {}      -- id -> entry
local order = {}      -- entries in book order
local unresolved = {}
local citekeys = {}
local duplicates = {}
local seen_ids = {}   -- every identifier seen, to keep ids unique book-wide
-- slug -> {state = the counters at the chapter's start, ids = the header ids it claimed}:
-- what a preview needs to number one edited chapter alone (`quartowrap-seed`)
local numbering = {}
local claimed = nil

-- Quarto joins a label's word and its number with a no-break space ("Figure\u{a0}1"),
-- in references and captions alike, so a line never ends between them.
local NBSP = "\u{a0}"

local function opt(key, default)
  local value = options[key]
  if value == nil or value == "" then
    return default
  end
  return tostring(value)
end

local function prefix_for(kind, number, level, appendix)
  if kind == "lst" then return opt("lst-prefix", "Listing") end
  if THEOREMS[kind] then return opt(kind .. "-prefix", THEOREMS[kind]) end
  if CALLOUTS[kind] then return opt(kind .. "-prefix", CALLOUTS[kind][1]) end
  if kind == "fig" then return opt("fig-prefix", "Figure") end
  if kind == "tbl" then return opt("tbl-prefix", "Table") end
  if kind == "eq" then return opt("eq-prefix", "Equation") end
  if level == 1 then
    if appendix then return opt("apx-prefix", "Appendix") end
    return opt("ch-prefix", "Chapter")
  end
  return opt("sec-prefix", "Section")
end

local function caption_prefix_for(kind)
  if kind == "lst" then return opt("lst-title", opt("lst-prefix", "Listing")) end
  if THEOREMS[kind] then return opt(kind .. "-title", prefix_for(kind)) end
  if CALLOUTS[kind] then return opt(kind .. "-title", prefix_for(kind)) end
  if kind == "fig" then return opt("fig-title", opt("fig-prefix", "Figure")) end
  if kind == "tbl" then return opt("tbl-title", opt("tbl-prefix", "Table")) end
  return opt("eq-title", opt("eq-prefix", "Equation"))
end

local function xref_kind(id)
  local kind = id:match("^(%a+)%-")
  if kind and KINDS[kind] then
    return kind
  end
  return nil
end

local function register(id, kind, number, chapter, caption, label)
  if xrefs[id] then
    table.insert(duplicates, { key = id, chapter = chapter })
    return
  end
  local entry = {
    id = id, kind = kind, number = number, chapter = chapter,
    caption = caption, label = label,
  }
  xrefs[id] = entry
  table.insert(order, entry)
end

-- Keep non-xref identifiers unique across chapters (pandoc's automatic ids are
-- only unique within one parse, and the PDF is one document).
local function unique_id(id)
  if id == "" then
    return id
  end
  if not seen_ids[id] then
    seen_ids[id] = true
    return id
  end
  if xref_kind(id) then
    return id -- reported as a duplicate label instead
  end
  local n = 1
  while seen_ids[id .. "-" .. n] do
    n = n + 1
  end
  seen_ids[id .. "-" .. n] = true
  return id .. "-" .. n
end

local function letters(n)
  local out = ""
  while n > 0 do
    local r = (n - 1) % 26
    out = string.char(65 + r) .. out
    n = (n - 1) // 26
  end
  return out
end

-- Sub-figures (Quarto's `::: {#fig-x layout-ncol=2}` holding several images): the parts
-- of a figure div are its Figures and the images standing alone in a paragraph (pandoc
-- makes no Figure of an image without a caption).  Each part becomes a Figure of its own,
-- the image's id moved onto it, so writers see one shape: Figure{ Figure, Figure, ... }.
local function image_only(block)
  if block.t ~= "Para" and block.t ~= "Plain" then
    return nil
  end
  local images = pandoc.List()
  for _, inline in ipairs(block.content) do
    if inline.t == "Image" then
      images:insert(inline)
    elseif inline.t ~= "Space" and inline.t ~= "SoftBreak" and inline.t ~= "LineBreak" then
      return nil
    end
  end
  return #images > 0 and images or nil
end

local function as_subfigure(img)
  local id = img.identifier
  img.identifier = ""
  return pandoc.Figure({ pandoc.Plain({ img }) }, pandoc.Caption({ pandoc.Plain(img.caption) }),
    pandoc.Attr(id))
end

-- The blocks of a figure div with its parts as Figures, and whether it is a panel (two
-- parts or more, or one part labelled `fig-`); other blocks stay as they are.
local function subfigure_blocks(blocks)
  local out, parts, labelled = pandoc.List(), 0, false
  for _, block in ipairs(blocks) do
    local images = image_only(block)
    if block.t == "Figure" then
      parts = parts + 1
      labelled = labelled or xref_kind(block.identifier) == "fig"
      out:insert(block)
    elseif images then
      for _, img in ipairs(images) do
        parts = parts + 1
        labelled = labelled or xref_kind(img.identifier) == "fig"
        out:insert(as_subfigure(img))
      end
    else
      out:insert(block)
    end
  end
  if parts >= 2 or labelled then
    return out
  end
  return nil
end

-- A caption given as the div's `fig-cap` / `tbl-cap` attribute (markdown), removed from it.
local function caption_attribute(div, kind)
  local text = div.attributes[kind .. "-cap"]
  if text == nil then
    return nil
  end
  div.attributes[kind .. "-cap"] = nil
  local blocks = pandoc.read(text, "markdown").blocks
  return { pandoc.Plain(pandoc.utils.blocks_to_inlines(blocks)) }
end

-- Turn `::: {#fig-x}` / `::: {#tbl-x}` (Quarto float divs) into Figure / Table.  The caption
-- is the div's `fig-cap`/`tbl-cap` attribute, else its last paragraph.  A table div holding
-- one pipe table becomes that Table; any other content (an image, a raw HTML table, a list)
-- becomes a Figure whose identifier says its kind (`tbl-…`), numbered as a table, as Quarto
-- numbers a float by its label whatever it holds.
local function normalise_float_div(div)
  local kind = xref_kind(div.identifier)
  if kind ~= "fig" and kind ~= "tbl" then
    return nil
  end
  local blocks = div.content
  local caption = caption_attribute(div, kind) or {}
  if #caption == 0 and #blocks >= 2 and blocks[#blocks].t == "Para"
      and not image_only(blocks[#blocks]) then
    caption = { pandoc.Plain(blocks[#blocks].content) }
    blocks = pandoc.List({ table.unpack(blocks, 1, #blocks - 1) })
  end
  -- one captioned image and no caption of the div's own: the image's caption is the float's
  if #caption == 0 and #blocks == 1 and blocks[1].t == "Figure" and blocks[1].identifier == "" then
    caption = blocks[1].caption.long
    blocks = blocks[1].content
  end
  if kind == "tbl" and #blocks == 1 and blocks[1].t == "Table" then
    local tbl = blocks[1]
    tbl.identifier = div.identifier
    for k, v in pairs(div.attributes) do
      tbl.attributes[k] = v
    end
    for _, c in ipairs(div.classes) do
      tbl.classes:insert(c)
    end
    if #caption > 0 then
      tbl.caption = pandoc.Caption(caption)
    end
    return tbl
  end
  local attr = div.attr
  if kind == "fig" then
    local parts = subfigure_blocks(blocks)
    if parts then
      blocks = parts
      attr.classes:insert("quarto-layout-panel")
    end
  elseif #blocks:filter(function(b) return b.t == "Table" end) >= 2 then
    -- sub-tables (`::: {#tbl-x layout-ncol=2}` holding tables): lettered like sub-figures
    attr.classes:insert("quarto-layout-panel")
  end
  return pandoc.Figure(blocks, pandoc.Caption(caption), attr)
end

-- A linked image `[![cap](img.png){#fig-x}](url)` alone in its paragraph is a figure, as
-- in Quarto: the Figure takes the image's id and caption, and holds the link.
local function linked_figure(para)
  local link = #para.content == 1 and para.content[1] or nil
  if not link or link.t ~= "Link" or #link.content ~= 1 or link.content[1].t ~= "Image" then
    return nil
  end
  local img = link.content[1]
  if xref_kind(img.identifier) ~= "fig" then
    return nil
  end
  local attr = pandoc.Attr(img.identifier, {}, {})
  img.identifier = ""
  local caption = pandoc.Caption({ pandoc.Plain(img.caption) })
  return pandoc.Figure({ pandoc.Plain({ link }) }, caption, attr)
end

-- Quarto labels the parts of a figure (a), (b) ... (`crossref: subref-labels`, default
-- "alpha a") and prints a reference to one as "Figure 3 (b)".  A part is registered with
-- kind `subfig` (so lists of figures skip it), its parent's number and `sub` = "b"; on the
-- AST it carries `subfig-label` = "(b)" and `parent` = the parent's id.  Parts without an
-- id get `<parent>-<n>` as Quarto does, so every part can be linked.
local function subref_label(n)
  local style = opt("subref-labels", "alpha a")
  if style:match("^arabic") then
    return tostring(n)
  end
  local letter = string.char(96 + ((n - 1) % 26) + 1)
  if style:match("^alpha A") then
    return letter:upper()
  end
  return letter
end

local function label_subfigures(fig, number, slug, kind)
  local n = 0
  local part_type = kind == "tbl" and "Table" or "Figure"
  for _, part in ipairs(fig.content) do
    if part.t == part_type then
      n = n + 1
      local sub = subref_label(n)
      if part.identifier == "" then
        part.identifier = fig.identifier .. "-" .. n
      end
      part.attributes["subfig-label"] = "(" .. sub .. ")"
      part.attributes["parent"] = fig.identifier
      local entry_label = prefix_for(kind) .. NBSP .. number .. " (" .. sub .. ")"
      register(part.identifier, "sub" .. kind, number, slug, stringify(part.caption.long),
        entry_label)
      xrefs[part.identifier].sub = sub
      seen_ids[part.identifier] = true
    end
  end
end

local function number_chapter(div, state)
  local slug = div.attributes["slug"] or ""
  local numbered = div.attributes["numbered"] ~= "false"
  local appendix = div.attributes["appendix"] == "true"
  local counters = {}
  -- A lone document (not a book chapter): its title is never numbered and its highest
  -- heading level counts from 1, as Quarto numbers `## Intro` "1" under a YAML title.
  local document = div.attributes["document"] == "true"
  local base = 1
  if document then
    base = 7
    for _, b in ipairs(div.content) do
      if b.t == "Header" and not b.classes:includes("document-title") and b.level < base then
        base = b.level
      end
    end
  end

  local function document_number(el)
    if not numbered or el.classes:includes("document-title")
        or el.classes:includes("unnumbered") or el.level < base then
      return nil
    end
    local depth = el.level - base + 1
    for i = 1, depth do
      counters[i] = counters[i] or 0
    end
    counters[depth] = counters[depth] + 1
    for i = depth + 1, #counters do
      counters[i] = nil
    end
    return table.concat(counters, ".", 1, depth)
  end

  local function header_number(el)
    if document then
      return document_number(el)
    end
    if el.level == 1 then
      if not numbered or el.classes:includes("unnumbered") then
        return nil
      end
      if appendix then
        state.appendix = state.appendix + 1
        counters = { letters(state.appendix) }
      else
        state.chapter = state.chapter + 1
        counters = { tostring(state.chapter) }
      end
      return counters[1]
    end
    if not numbered or #counters == 0 or el.classes:includes("unnumbered") then
      return nil
    end
    for i = 2, el.level do
      if counters[i] == nil then
        counters[i] = 0
      end
    end
    counters[el.level] = counters[el.level] + 1
    for i = el.level + 1, #counters do
      counters[i] = nil
    end
    local parts = {}
    for i = 1, el.level do
      parts[i] = tostring(counters[i])
    end
    return table.concat(parts, ".")
  end

  local function float(el, kind)
    if el.identifier == "" or xref_kind(el.identifier) ~= kind or el.attributes["subfig-label"] then
      return nil
    end
    local counter = kind .. "s"
    state[counter] = state[counter] + 1
    local number = tostring(state[counter])
    local caption = stringify(el.caption and el.caption.long or {})
    local label = prefix_for(kind) .. NBSP .. number
    el.attributes["number"] = number
    el.attributes["xref-label"] = caption_prefix_for(kind) .. NBSP .. number
    register(el.identifier, kind, number, slug, caption, label)
    seen_ids[el.identifier] = true
    if el.classes:includes("quarto-layout-panel") then
      label_subfigures(el, number, slug, kind)
    end
    return el
  end

  -- The label after a display equation: `{#eq-x}` (one Str), or `{#eq-x alt="…"}` with
  -- attributes, which pandoc reads as several inlines up to the one ending in "}".  Returns
  -- the id, the attributes and the index of the label's last inline.
  local function equation_label(inlines, j)
    local first = inlines[j]
    if not first or first.t ~= "Str" then
      return nil
    end
    local id = first.text:match("^{#(eq%-[%w_%-%.:]+)}$")
    if id then
      return id, {}, j
    end
    id = first.text:match("^{#(eq%-[%w_%-%.:]+)$")
    if not id then
      return nil
    end
    local parts = {}
    for k = j + 1, math.min(#inlines, j + 60) do
      local el = inlines[k]
      if el.t == "Quoted" then
        table.insert(parts, '"' .. stringify(el.content) .. '"')
      elseif el.t == "Space" or el.t == "SoftBreak" then
        table.insert(parts, " ")
      else
        table.insert(parts, stringify(el))
      end
      if el.t == "Str" and el.text:match("}$") then
        local text = table.concat(parts):gsub("}$", "")
        local attrs = {}
        for key, value in text:gmatch('([%w_%-]+)="([^"]*)"') do
          table.insert(attrs, { key, value })
        end
        return id, attrs, k
      end
    end
    return nil
  end

  local function equation_inlines(inlines)
    local changed = false
    local out = pandoc.List()
    local i = 1
    while i <= #inlines do
      local el = inlines[i]
      local j = i + 1
      if inlines[j] and inlines[j].t == "Space" then
        j = j + 1
      end
      local id, attrs, last = nil, nil, nil
      if el.t == "Math" and el.mathtype == "DisplayMath" then
        id, attrs, last = equation_label(inlines, j)
      end
      if id then
        state.eqs = state.eqs + 1
        local number = tostring(state.eqs)
        local math = pandoc.Math("DisplayMath", el.text .. " \\qquad (" .. number .. ")")
        local kv = { { "number", number } }
        for _, pair in ipairs(attrs) do
          table.insert(kv, pair)
        end
        out:insert(pandoc.Span({ math }, pandoc.Attr(id, { "quarto-equation" }, kv)))
        register(id, "eq", number, slug, el.text, prefix_for("eq") .. NBSP .. number)
        changed = true
        i = last + 1
      else
        out:insert(el)
        i = i + 1
      end
    end
    if changed then
      return out
    end
    return nil
  end

  -- ```{#lst-x lst-cap="C"} -> Div(#lst-x .listing){ "Listing 3: C" ; code }.  The
  -- caption is printed in the AST (no writer knows listings), above the code as in Quarto.
  local function listing(el)
    if xref_kind(el.identifier) ~= "lst" then
      return nil
    end
    state.lsts = state.lsts + 1
    local number = tostring(state.lsts)
    local id = el.identifier
    local caption_text = el.attributes["lst-cap"] or ""
    local caption = pandoc.Inlines({})
    if caption_text ~= "" then
      caption = pandoc.utils.blocks_to_inlines(pandoc.read(caption_text, "markdown").blocks)
    end
    local label = caption_prefix_for("lst") .. NBSP .. number
    local head = pandoc.Inlines({ pandoc.Strong({ pandoc.Str(label) }) })
    if #caption > 0 then
      head:insert(pandoc.Str(":"))
      head:insert(pandoc.Space())
      head:extend(caption)
    end
    el.identifier = ""
    el.attributes["lst-cap"] = nil
    register(id, "lst", number, slug, stringify(caption), prefix_for("lst") .. NBSP .. number)
    seen_ids[id] = true
    -- attributes as a list of pairs: a keyed Lua table has no stable order
    return pandoc.Div({ pandoc.Para(head), el }, pandoc.Attr(id, { "listing" }, {
      { "number", number }, { "xref-label", label },
    }))
  end

  -- ::: {#thm-x} [## Name] body ::: -> the body led by "**Theorem 2 (Name).**".  The
  -- heading is taken out first, so it is never numbered as a section.
  -- ::: {#nte-x .callout-note} (shaped by callouts.lua: a title Div, a body Div) -> its
  -- title reads "Note 1: Title" ("Note 1" alone for a callout without a title of its own),
  -- as Quarto titles a cross-referenced callout; the kinds are numbered on their own.
  local function callout(el)
    local kind = xref_kind(el.identifier)
    if not CALLOUTS[kind] or el.attributes["number"] or not el.classes:includes("callout") then
      return nil
    end
    local counter = "callouts-" .. kind
    state[counter] = (state[counter] or 0) + 1
    local number = tostring(state[counter])
    local label = caption_prefix_for(kind) .. NBSP .. number
    local title_div = el.content[1]
    local title = pandoc.Inlines({})
    if title_div and title_div.t == "Div" and title_div.classes:includes("callout-title") then
      title = pandoc.utils.blocks_to_inlines(title_div.content)
    end
    local head = pandoc.Inlines({ pandoc.Str(label) })
    if el.classes:includes("callout-titled") and #title > 0 then
      head:insert(pandoc.Str(":"))
      head:insert(pandoc.Space())
      head:extend(title)
    end
    if title_div and title_div.t == "Div" and title_div.classes:includes("callout-title") then
      title_div.content = { pandoc.Plain(head) }
    end
    if not el.classes:includes("callout-titled") then
      el.classes:insert("callout-titled")
    end
    el.attributes["number"] = number
    el.attributes["xref-label"] = label
    register(el.identifier, kind, number, slug, stringify(title), prefix_for(kind) .. NBSP .. number)
    seen_ids[el.identifier] = true
    return el
  end

  local function theorem(el)
    local kind = xref_kind(el.identifier)
    if not THEOREMS[kind] or el.attributes["number"] then
      return nil
    end
    local counter = "theorems-" .. kind
    state[counter] = (state[counter] or 0) + 1
    local number = tostring(state[counter])
    local body = pandoc.Blocks(el.content)
    local name = el.attributes["name"] and pandoc.Inlines({ pandoc.Str(el.attributes["name"]) })
    if #body > 0 and body[1].t == "Header" then
      name = body[1].content
      body:remove(1)
    end
    local label = caption_prefix_for(kind) .. NBSP .. number
    local head = pandoc.Inlines({ pandoc.Str(label) })
    if name and #name > 0 then
      head:insert(pandoc.Space())
      head:insert(pandoc.Str("("))
      head:extend(name)
      head:insert(pandoc.Str(")"))
    end
    -- Quarto's shape: `span.theorem-title > strong` leading the first paragraph
    head = pandoc.Inlines({
      pandoc.Span({ pandoc.Strong(head) }, pandoc.Attr("", { "theorem-title" })), pandoc.Space(),
    })
    if #body > 0 and body[1].t == "Para" then
      body[1] = pandoc.Para(head .. body[1].content)
    else
      body:insert(1, pandoc.Para(head))
    end
    register(el.identifier, kind, number, slug, name and stringify(name) or "",
      prefix_for(kind) .. NBSP .. number)
    seen_ids[el.identifier] = true
    el.content = body
    -- `theorem`, and the environment's name for the other kinds (`theorem lemma`), as Quarto
    el.classes:insert(1, "theorem")
    if kind ~= "thm" then
      el.classes:insert(2, THEOREMS[kind]:lower())
    end
    el.attributes["name"] = nil
    el.attributes["number"] = number
    el.attributes["xref-label"] = label
    return el
  end

  return div:walk({
    traverse = "topdown",
    CodeBlock = function(el)
      return listing(el)
    end,
    Div = function(el)
      local tabset = tabsets.shape(el)
      if tabset then
        return tabset
      end
      local box = callout(el)
      if box then
        return box
      end
      local thm = theorem(el)
      if thm then
        return thm
      end
      local replaced = normalise_float_div(el)
      if replaced then
        return float(replaced, xref_kind(replaced.identifier))
      end
      return nil
    end,
    Header = function(el)
      local number = header_number(el)
      el.identifier = unique_id(el.identifier)
      if claimed and el.identifier ~= "" then
        table.insert(claimed, el.identifier)
      end
      if number then
        el.attributes["number"] = number
      end
      if xref_kind(el.identifier) == "sec" then
        local label = prefix_for("sec", number, document and 2 or el.level, appendix)
        if number then
          label = label .. NBSP .. number
        else
          label = stringify(el.content)
        end
        register(el.identifier, "sec", number or "", slug, stringify(el.content), label)
      end
      return el
    end,
    Figure = function(el)
      return float(el, xref_kind(el.identifier) == "tbl" and "tbl" or "fig")
    end,
    Table = function(el)
      return float(el, "tbl")
    end,
    Para = function(el)
      local fig = linked_figure(el)
      if fig then
        return float(fig, "fig")
      end
      local inlines = equation_inlines(el.content)
      if inlines then
        return pandoc.Para(inlines)
      end
    end,
    Plain = function(el)
      local inlines = equation_inlines(el.content)
      if inlines then
        return pandoc.Plain(inlines)
      end
    end,
  })
end

local function capitalise(text)
  return (text:gsub("^%l", string.upper))
end

local function resolve_citation(citation, chapter)
  local id = citation.id
  local lookup = id:gsub("^%u", string.lower)
  local kind = xref_kind(lookup)
  if not kind then
    return nil
  end
  local entry = xrefs[lookup]
  if not entry then
    table.insert(unresolved, { key = id, chapter = chapter })
    return pandoc.Inlines({ pandoc.Strong({ pandoc.Str("?@" .. id) }) })
  end
  local text
  if citation.mode == "SuppressAuthor" then
    text = entry.number
    if entry.sub then
      text = text .. " (" .. entry.sub .. ")"
    end
  else
    text = entry.label
    if lookup ~= id then
      text = capitalise(text)
    end
  end
  -- As Quarto: a prefix written in the brackets (`[Tab. -@tbl-x]`, `[Fig. @fig-x]`)
  -- takes the place of the kind's word, inside the link, joined by a no-break space.
  local words = pandoc.Inlines({ pandoc.Str(text) })
  if #citation.prefix > 0 then
    local number = entry.number
    if entry.sub then
      number = number .. " (" .. entry.sub .. ")"
    end
    words = pandoc.Inlines(citation.prefix):clone()
    words:insert(pandoc.Str(NBSP .. number))
  end
  local out = pandoc.Inlines({})
  out:insert(pandoc.Link(words, "#" .. lookup, "",
    pandoc.Attr("", { "quarto-xref" }, { { "xref-kind", (entry.kind:gsub("^sub", "")) } })))
  if #citation.suffix > 0 then
    out:extend(citation.suffix)
  end
  return out
end

local function resolve_chapter(div)
  local slug = div.attributes["slug"] or ""
  return div:walk({
    Cite = function(cite)
      local out = pandoc.Inlines({})
      local remaining = pandoc.List()
      for _, citation in ipairs(cite.citations) do
        local resolved = resolve_citation(citation, slug)
        if resolved then
          if #out > 0 then
            out:insert(pandoc.Str(","))
            out:insert(pandoc.Space())
          end
          out:extend(resolved)
        else
          remaining:insert(citation)
          table.insert(citekeys, { key = citation.id, chapter = slug })
        end
      end
      if #remaining == #cite.citations then
        return nil
      end
      if #remaining > 0 then
        out:insert(pandoc.Space())
        out:insert(pandoc.Cite({}, remaining))
      end
      return out
    end,
  })
end

function Pandoc(doc)
  local raw = doc.meta["quartowrap-crossref"]
  if raw then
    options = pandoc.json.decode(stringify(raw))
  end
  local state = { chapter = 0, appendix = 0, figs = 0, tbls = 0, eqs = 0, lsts = 0 }
  -- One chapter numbered alone (preview): the counters at its start, the other chapters'
  -- entries (known to references, not listed again) and the header ids they hold.
  local seed = doc.meta["quartowrap-seed"]
  if seed then
    seed = pandoc.json.decode(stringify(seed))
    for key, value in pairs(seed.state or {}) do
      state[key] = math.tointeger(value) or value
    end
    for _, entry in ipairs(seed.xrefs or {}) do
      xrefs[entry.id] = entry
    end
    for _, id in ipairs(seed.ids or {}) do
      seen_ids[id] = true
    end
    doc.meta["quartowrap-seed"] = nil
  end
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(doc.blocks) do
    if block.t == "Div" and block.classes:includes("quartowrap-chapter") then
      local start = {}
      for key, value in pairs(state) do
        start[key] = value
      end
      claimed = {}
      numbering[block.attributes["slug"] or ""] = { state = start, ids = claimed }
      blocks:insert(number_chapter(block, state))
      claimed = nil
    else
      blocks:insert(block)
    end
  end
  for i, block in ipairs(blocks) do
    if block.t == "Div" and block.classes:includes("quartowrap-chapter") then
      blocks[i] = resolve_chapter(block)
    end
  end
  doc.blocks = blocks
  doc.meta["quartowrap-crossref"] = nil
  doc.meta["quartowrap-xrefs"] = pandoc.json.encode(order)
  doc.meta["quartowrap-unresolved"] = pandoc.json.encode(unresolved)
  doc.meta["quartowrap-citekeys"] = pandoc.json.encode(citekeys)
  doc.meta["quartowrap-duplicates"] = pandoc.json.encode(duplicates)
  doc.meta["quartowrap-numbering"] = pandoc.json.encode(numbering)
  return doc
end
