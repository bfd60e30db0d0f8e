var I=globalThis,z=I.ShadowRoot&&(I.ShadyCSS===void 0||I.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,J=Symbol(),pe=new WeakMap,E=class{constructor(t,e,s){if(this._$cssResult$=!0,s!==J)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=t,this.t=e}get styleSheet(){let t=this.o,e=this.t;if(z&&t===void 0){let s=e!==void 0&&e.length===1;s&&(t=pe.get(e)),t===void 0&&((this.o=t=new CSSStyleSheet).replaceSync(this.cssText),s&&pe.set(e,t))}return t}toString(){return this.cssText}},ue=r=>new E(typeof r=="string"?r:r+"",void 0,J),P=(r,...t)=>{let e=r.length===1?r[0]:t.reduce((s,i,a)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[a+1],r[0]);return new E(e,r,J)},me=(r,t)=>{if(z)r.adoptedStyleSheets=t.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of t){let s=document.createElement("style"),i=I.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=e.cssText,r.appendChild(s)}},X=z?r=>r:r=>r instanceof CSSStyleSheet?(t=>{let e="";for(let s of t.cssRules)e+=s.cssText;return ue(e)})(r):r;var{is:Ve,defineProperty:Qe,getOwnPropertyDescriptor:Ge,getOwnPropertyNames:Je,getOwnPropertySymbols:Xe,getPrototypeOf:Ye}=Object,j=globalThis,_e=j.trustedTypes,Ze=_e?_e.emptyScript:"",et=j.reactiveElementPolyfillSupport,R=(r,t)=>r,Y={toAttribute(r,t){switch(t){case Boolean:r=r?Ze:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,t){let e=r;switch(t){case Boolean:e=r!==null;break;case Number:e=r===null?null:Number(r);break;case Object:case Array:try{e=JSON.parse(r)}catch{e=null}}return e}},fe=(r,t)=>!Ve(r,t),ge={attribute:!0,type:String,converter:Y,reflect:!1,useDefault:!1,hasChanged:fe};Symbol.metadata??=Symbol("metadata"),j.litPropertyMetadata??=new WeakMap;var v=class extends HTMLElement{static addInitializer(t){this._$Ei(),(this.l??=[]).push(t)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(t,e=ge){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(t)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(t,e),!e.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(t,s,e);i!==void 0&&Qe(this.prototype,t,i)}}static getPropertyDescriptor(t,e,s){let{get:i,set:a}=Ge(this.prototype,t)??{get(){return this[e]},set(n){this[e]=n}};return{get:i,set(n){let h=i?.call(this);a?.call(this,n),this.requestUpdate(t,h,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(t){return this.elementProperties.get(t)??ge}static _$Ei(){if(this.hasOwnProperty(R("elementProperties")))return;let t=Ye(this);t.finalize(),t.l!==void 0&&(this.l=[...t.l]),this.elementProperties=new Map(t.elementProperties)}static finalize(){if(this.hasOwnProperty(R("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(R("properties"))){let e=this.properties,s=[...Je(e),...Xe(e)];for(let i of s)this.createProperty(i,e[i])}let t=this[Symbol.metadata];if(t!==null){let e=litPropertyMetadata.get(t);if(e!==void 0)for(let[s,i]of e)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[e,s]of this.elementProperties){let i=this._$Eu(e,s);i!==void 0&&this._$Eh.set(i,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(t){let e=[];if(Array.isArray(t)){let s=new Set(t.flat(1/0).reverse());for(let i of s)e.unshift(X(i))}else t!==void 0&&e.push(X(t));return e}static _$Eu(t,e){let s=e.attribute;return s===!1?void 0:typeof s=="string"?s:typeof t=="string"?t.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(t=>this.enableUpdating=t),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(t=>t(this))}addController(t){(this._$EO??=new Set).add(t),this.renderRoot!==void 0&&this.isConnected&&t.hostConnected?.()}removeController(t){this._$EO?.delete(t)}_$E_(){let t=new Map,e=this.constructor.elementProperties;for(let s of e.keys())this.hasOwnProperty(s)&&(t.set(s,this[s]),delete this[s]);t.size>0&&(this._$Ep=t)}createRenderRoot(){let t=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return me(t,this.constructor.elementStyles),t}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(t=>t.hostConnected?.())}enableUpdating(t){}disconnectedCallback(){this._$EO?.forEach(t=>t.hostDisconnected?.())}attributeChangedCallback(t,e,s){this._$AK(t,s)}_$ET(t,e){let s=this.constructor.elementProperties.get(t),i=this.constructor._$Eu(t,s);if(i!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:Y).toAttribute(e,s.type);this._$Em=t,a==null?this.removeAttribute(i):this.setAttribute(i,a),this._$Em=null}}_$AK(t,e){let s=this.constructor,i=s._$Eh.get(t);if(i!==void 0&&this._$Em!==i){let a=s.getPropertyOptions(i),n=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:Y;this._$Em=i;let h=n.fromAttribute(e,a.type);this[i]=h??this._$Ej?.get(i)??h,this._$Em=null}}requestUpdate(t,e,s,i=!1,a){if(t!==void 0){let n=this.constructor;if(i===!1&&(a=this[t]),s??=n.getPropertyOptions(t),!((s.hasChanged??fe)(a,e)||s.useDefault&&s.reflect&&a===this._$Ej?.get(t)&&!this.hasAttribute(n._$Eu(t,s))))return;this.C(t,e,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(t,e,{useDefault:s,reflect:i,wrapped:a},n){s&&!(this._$Ej??=new Map).has(t)&&(this._$Ej.set(t,n??e??this[t]),a!==!0||n!==void 0)||(this._$AL.has(t)||(this.hasUpdated||s||(e=void 0),this._$AL.set(t,e)),i===!0&&this._$Em!==t&&(this._$Eq??=new Set).add(t))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let t=this.scheduleUpdate();return t!=null&&await t,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,a]of this._$Ep)this[i]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,a]of s){let{wrapped:n}=a,h=this[i];n!==!0||this._$AL.has(i)||h===void 0||this.C(i,void 0,a,h)}}let t=!1,e=this._$AL;try{t=this.shouldUpdate(e),t?(this.willUpdate(e),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(e)):this._$EM()}catch(s){throw t=!1,this._$EM(),s}t&&this._$AE(e)}willUpdate(t){}_$AE(t){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(t)),this.updated(t)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(t){return!0}update(t){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(t){}firstUpdated(t){}};v.elementStyles=[],v.shadowRootOptions={mode:"open"},v[R("elementProperties")]=new Map,v[R("finalized")]=new Map,et?.({ReactiveElement:v}),(j.reactiveElementVersions??=[]).push("2.1.2");var ae=globalThis,ve=r=>r,K=ae.trustedTypes,$e=K?K.createPolicy("lit-html",{createHTML:r=>r}):void 0,ke="$lit$",$=`lit$${Math.random().toFixed(9).slice(2)}$`,Se="?"+$,tt=`<${Se}>`,x=document,q=()=>x.createComment(""),H=r=>r===null||typeof r!="object"&&typeof r!="function",ne=Array.isArray,st=r=>ne(r)||typeof r?.[Symbol.iterator]=="function",Z=`[ 	
\f\r]`,T=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,be=/-->/g,ye=/>/g,y=RegExp(`>|${Z}(?:([^\\s"'>=/]+)(${Z}*=${Z}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),we=/'/g,xe=/"/g,Ce=/^(?:script|style|textarea|title)$/i,oe=r=>(t,...e)=>({_$litType$:r,strings:t,values:e}),l=oe(1),le=oe(2),ft=oe(3),A=Symbol.for("lit-noChange"),c=Symbol.for("lit-nothing"),Ae=new WeakMap,w=x.createTreeWalker(x,129);function Ee(r,t){if(!ne(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return $e!==void 0?$e.createHTML(t):t}var it=(r,t)=>{let e=r.length-1,s=[],i,a=t===2?"<svg>":t===3?"<math>":"",n=T;for(let h=0;h<e;h++){let o=r[h],d,u,p=-1,g=0;for(;g<o.length&&(n.lastIndex=g,u=n.exec(o),u!==null);)g=n.lastIndex,n===T?u[1]==="!--"?n=be:u[1]!==void 0?n=ye:u[2]!==void 0?(Ce.test(u[2])&&(i=RegExp("</"+u[2],"g")),n=y):u[3]!==void 0&&(n=y):n===y?u[0]===">"?(n=i??T,p=-1):u[1]===void 0?p=-2:(p=n.lastIndex-u[2].length,d=u[1],n=u[3]===void 0?y:u[3]==='"'?xe:we):n===xe||n===we?n=y:n===be||n===ye?n=T:(n=y,i=void 0);let f=n===y&&r[h+1].startsWith("/>")?" ":"";a+=n===T?o+tt:p>=0?(s.push(d),o.slice(0,p)+ke+o.slice(p)+$+f):o+$+(p===-2?h:f)}return[Ee(r,a+(r[e]||"<?>")+(t===2?"</svg>":t===3?"</math>":"")),s]},U=class r{constructor({strings:t,_$litType$:e},s){let i;this.parts=[];let a=0,n=0,h=t.length-1,o=this.parts,[d,u]=it(t,e);if(this.el=r.createElement(d,s),w.currentNode=this.el.content,e===2||e===3){let p=this.el.content.firstChild;p.replaceWith(...p.childNodes)}for(;(i=w.nextNode())!==null&&o.length<h;){if(i.nodeType===1){if(i.hasAttributes())for(let p of i.getAttributeNames())if(p.endsWith(ke)){let g=u[n++],f=i.getAttribute(p).split($),k=/([.?@])?(.*)/.exec(g);o.push({type:1,index:a,name:k[2],strings:f,ctor:k[1]==="."?te:k[1]==="?"?se:k[1]==="@"?ie:C}),i.removeAttribute(p)}else p.startsWith($)&&(o.push({type:6,index:a}),i.removeAttribute(p));if(Ce.test(i.tagName)){let p=i.textContent.split($),g=p.length-1;if(g>0){i.textContent=K?K.emptyScript:"";for(let f=0;f<g;f++)i.append(p[f],q()),w.nextNode(),o.push({type:2,index:++a});i.append(p[g],q())}}}else if(i.nodeType===8)if(i.data===Se)o.push({type:2,index:a});else{let p=-1;for(;(p=i.data.indexOf($,p+1))!==-1;)o.push({type:7,index:a}),p+=$.length-1}a++}}static createElement(t,e){let s=x.createElement("template");return s.innerHTML=t,s}};function S(r,t,e=r,s){if(t===A)return t;let i=s!==void 0?e._$Co?.[s]:e._$Cl,a=H(t)?void 0:t._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(r),i._$AT(r,e,s)),s!==void 0?(e._$Co??=[])[s]=i:e._$Cl=i),i!==void 0&&(t=S(r,i._$AS(r,t.values),i,s)),t}var ee=class{constructor(t,e){this._$AV=[],this._$AN=void 0,this._$AD=t,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(t){let{el:{content:e},parts:s}=this._$AD,i=(t?.creationScope??x).importNode(e,!0);w.currentNode=i;let a=w.nextNode(),n=0,h=0,o=s[0];for(;o!==void 0;){if(n===o.index){let d;o.type===2?d=new M(a,a.nextSibling,this,t):o.type===1?d=new o.ctor(a,o.name,o.strings,this,t):o.type===6&&(d=new re(a,this,t)),this._$AV.push(d),o=s[++h]}n!==o?.index&&(a=w.nextNode(),n++)}return w.currentNode=x,i}p(t){let e=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(t,s,e),e+=s.strings.length-2):s._$AI(t[e])),e++}},M=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(t,e,s,i){this.type=2,this._$AH=c,this._$AN=void 0,this._$AA=t,this._$AB=e,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let t=this._$AA.parentNode,e=this._$AM;return e!==void 0&&t?.nodeType===11&&(t=e.parentNode),t}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(t,e=this){t=S(this,t,e),H(t)?t===c||t==null||t===""?(this._$AH!==c&&this._$AR(),this._$AH=c):t!==this._$AH&&t!==A&&this._(t):t._$litType$!==void 0?this.$(t):t.nodeType!==void 0?this.T(t):st(t)?this.k(t):this._(t)}O(t){return this._$AA.parentNode.insertBefore(t,this._$AB)}T(t){this._$AH!==t&&(this._$AR(),this._$AH=this.O(t))}_(t){this._$AH!==c&&H(this._$AH)?this._$AA.nextSibling.data=t:this.T(x.createTextNode(t)),this._$AH=t}$(t){let{values:e,_$litType$:s}=t,i=typeof s=="number"?this._$AC(t):(s.el===void 0&&(s.el=U.createElement(Ee(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(e);else{let a=new ee(i,this),n=a.u(this.options);a.p(e),this.T(n),this._$AH=a}}_$AC(t){let e=Ae.get(t.strings);return e===void 0&&Ae.set(t.strings,e=new U(t)),e}k(t){ne(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,s,i=0;for(let a of t)i===e.length?e.push(s=new r(this.O(q()),this.O(q()),this,this.options)):s=e[i],s._$AI(a),i++;i<e.length&&(this._$AR(s&&s._$AB.nextSibling,i),e.length=i)}_$AR(t=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);t!==this._$AB;){let s=ve(t).nextSibling;ve(t).remove(),t=s}}setConnected(t){this._$AM===void 0&&(this._$Cv=t,this._$AP?.(t))}},C=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(t,e,s,i,a){this.type=1,this._$AH=c,this._$AN=void 0,this.element=t,this.name=e,this._$AM=i,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=c}_$AI(t,e=this,s,i){let a=this.strings,n=!1;if(a===void 0)t=S(this,t,e,0),n=!H(t)||t!==this._$AH&&t!==A,n&&(this._$AH=t);else{let h=t,o,d;for(t=a[0],o=0;o<a.length-1;o++)d=S(this,h[s+o],e,o),d===A&&(d=this._$AH[o]),n||=!H(d)||d!==this._$AH[o],d===c?t=c:t!==c&&(t+=(d??"")+a[o+1]),this._$AH[o]=d}n&&!i&&this.j(t)}j(t){t===c?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,t??"")}},te=class extends C{constructor(){super(...arguments),this.type=3}j(t){this.element[this.name]=t===c?void 0:t}},se=class extends C{constructor(){super(...arguments),this.type=4}j(t){this.element.toggleAttribute(this.name,!!t&&t!==c)}},ie=class extends C{constructor(t,e,s,i,a){super(t,e,s,i,a),this.type=5}_$AI(t,e=this){if((t=S(this,t,e,0)??c)===A)return;let s=this._$AH,i=t===c&&s!==c||t.capture!==s.capture||t.once!==s.once||t.passive!==s.passive,a=t!==c&&(s===c||i);i&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,t),this._$AH=t}handleEvent(t){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,t):this._$AH.handleEvent(t)}},re=class{constructor(t,e,s){this.element=t,this.type=6,this._$AN=void 0,this._$AM=e,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(t){S(this,t)}};var rt=ae.litHtmlPolyfillSupport;rt?.(U,M),(ae.litHtmlVersions??=[]).push("3.3.3");var Pe=(r,t,e)=>{let s=e?.renderBefore??t,i=s._$litPart$;if(i===void 0){let a=e?.renderBefore??null;s._$litPart$=i=new M(t.insertBefore(q(),a),a,void 0,e??{})}return i._$AI(r),i};var ce=globalThis,_=class extends v{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let t=super.createRenderRoot();return this.renderOptions.renderBefore??=t.firstChild,t}update(t){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(t),this._$Do=Pe(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return A}};_._$litElement$=!0,_.finalized=!0,ce.litElementHydrateSupport?.({LitElement:_});var at=ce.litElementPolyfillSupport;at?.({LitElement:_});(ce.litElementVersions??=[]).push("4.2.2");var Re={day:{hours:24,bucket_minutes:10},week:{hours:168,bucket_minutes:60}};async function Te(r,t){let e=t?{type:"mlwatch/pending",camera:t}:{type:"mlwatch/pending"};return(await r.callWS(e)).items}async function qe(r,t,e,s){let i={type:"mlwatch/answer",item_id:t,verdict:e};s&&(i.label=s),await r.callWS(i)}async function F(r,t){let e=t?{type:"mlwatch/learning",camera:t}:{type:"mlwatch/learning"};return(await r.callWS(e)).cameras}function He(r,t,e){return r.callWS({type:"mlwatch/timeline",camera:t,...Re[e]})}async function Ue(r,t,e){let s={type:"mlwatch/tags",camera:t,hours:Re[e].hours};return(await r.callWS(s)).tags}async function Me(r,t,e,s){let i={type:"mlwatch/frames",camera:t,start:e,end:s,limit:50};return(await r.callWS(i)).frames}function Le(r,t){return r.connection.subscribeMessage(t,{type:"mlwatch/subscribe"})}function b(r,t){return new Date(t*1e3).toLocaleTimeString(r,{hour:"2-digit",minute:"2-digit"})}function he(r,t){let e=new Date(t*1e3);return new Date().toDateString()===e.toDateString()?b(r,t):e.toLocaleString(r,{weekday:"short",hour:"2-digit",minute:"2-digit"})}function L(r){return r==null?"—":`${Math.round(r*100)}`}var B={"card.title":"Review","card.title_camera":"Review · {camera}","card.loading":"Loading…","card.no_mlwatch":"No camera is watched by mlwatch yet. Add one under Settings › Devices & services.","card.error":"Could not reach mlwatch: {error}","card.camera":"Camera","card.all_cameras":"All cameras","queue.heading":"Questions","queue.count":"{count} to review","queue.empty":"Nothing to review","queue.empty_filtered":"Nothing to review for “{label}”","queue.question":"Is this {label}?","queue.score":"{score} %","queue.decided_base":"the model's score","queue.decided_personal":"your personal model's score","queue.source_detection":"Detected","queue.source_review":"Unsure","queue.source_manual":"Filed by hand","queue.yes":"Yes","queue.no":"No","queue.else":"It's something else…","queue.show_crop":"What the model saw","queue.show_frame":"Whole frame","queue.keys":"Keys: y yes · n no · e something else · ← → move · u undo","queue.filter":"Only “{label}”","queue.clear_filter":"Show all","queue.image_alt":"The frame the question is about","picker.heading":"What is it?","picker.placeholder":"A label, or a new name such as “parcel”","picker.teach":"Teach","picker.cancel":"Cancel","picker.new_label":"New label: mlwatch learns it from your answers","undo.confirmed":"Marked as {label}","undo.rejected":"Marked as not {label}","undo.relabelled":"Marked as {label}","undo.undo":"Undo","undo.failed":"The answer was not saved: {error}","heatmap.heading":"Heat map","heatmap.day":"24 hours","heatmap.week":"7 days","heatmap.nothing":"No frames in this period yet","heatmap.cell":"{label} · {from}–{to} · best {score} % · {frames} frames","heatmap.cell_empty":"{label} · {from}–{to} · no frames","heatmap.episode":"an episode began","heatmap.legend_low":"unsure","heatmap.legend_high":"certain","heatmap.frames_in":"Frames {from}–{to}","heatmap.no_frames":"No frames in this bucket","heatmap.close":"Close","tags.heading":"What it saw","tags.empty":"Nothing seen yet","tags.count":"{label}: {count} frames","learning.heading":"Learning","learning.unavailable":"Learning needs embeddings, which this camera's backend does not give.","learning.none":"No answers yet: every answer teaches this camera's personal model.","learning.label":"Label","learning.answers":"Answers","learning.base_f1":"Model F1","learning.personal_f1":"Personal F1","learning.state":"State","learning.state_learning":"learning","learning.state_shadow":"shadow","learning.state_active":"active","learning.answers_value":"{positives} yes · {negatives} no","learning.new":"taught","editor.camera":"Camera (empty: all cameras)","editor.period":"Heat map period","editor.title":"Title","picker_card.name":"mlwatch review","picker_card.description":"Answer mlwatch's questions, see the day as a heat map and what the camera saw."};var Oe={en:B};function N(r){return r?.locale?.language??r?.language??"en"}function m(r,t,e={}){let s=N(r);return((Oe[s]??Oe[s.split("-")[0]]??B)[t]??B[t]).replace(/\{(\w+)\}/g,(n,h)=>String(e[h]??`{${h}}`))}function de(r,t){let e=t.trim();return e===r.label?{item:r,verdict:"confirmed"}:{item:r,verdict:"rejected",label:e}}function De(r,t,e){return r.filter(s=>!t.has(s.id)).filter(s=>e===null||s.label===e||e in s.scores).sort((s,i)=>i.time-s.time)}var W=class{constructor(t){this.send=t}get current(){return this.held?.answer}hold(t){let e=this.flush(),s=setTimeout(()=>{this.flush()},6e3);return this.held={answer:t,timer:s},e}undo(){let t=this.held;if(t)return clearTimeout(t.timer),this.held=void 0,t.answer}flush(){let t=this.held;return t?(clearTimeout(t.timer),this.held=void 0,this.send(t.answer)):Promise.resolve()}};var Ie=P`
  :host {
    display: block;
    outline: none;
  }
  .content {
    padding: 0 16px 16px;
    display: flex;
    flex-direction: column;
    gap: 16px;
  }
  h2 {
    font-size: 1em;
    font-weight: 500;
    margin: 0;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
    margin-bottom: 8px;
  }
  .spacer {
    flex: 1;
  }
  .count,
  .hint,
  .keys,
  .meta {
    color: var(--secondary-text-color);
    font-size: 0.85em;
  }
  .hint {
    margin: 0;
  }
  .error {
    color: var(--error-color);
    margin: 0;
  }
  .empty {
    margin: 0;
    padding: 24px 0;
    text-align: center;
    color: var(--secondary-text-color);
    font-size: 1.1em;
  }
  button {
    font: inherit;
    color: var(--primary-text-color);
    background: var(--secondary-background-color);
    border: 1px solid var(--divider-color);
    border-radius: 18px;
    padding: 6px 14px;
    cursor: pointer;
  }
  button:focus-visible,
  :host(:focus-visible) .question {
    outline: 2px solid var(--primary-color);
    outline-offset: 2px;
  }
  .question {
    display: flex;
    gap: 16px;
    flex-wrap: wrap;
    border-radius: var(--ha-card-border-radius, 12px);
  }
  .frame {
    position: relative;
    flex: 1 1 260px;
    max-width: 480px;
  }
  .frame img {
    width: 100%;
    border-radius: 8px;
    display: block;
    background: var(--secondary-background-color);
  }
  .toggle {
    position: absolute;
    right: 8px;
    bottom: 8px;
    font-size: 0.8em;
    padding: 2px 10px;
    opacity: 0.9;
  }
  .ask {
    flex: 1 1 220px;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .label {
    font-size: 1.4em;
    margin: 0;
  }
  .meta {
    margin: 0;
  }
  .score {
    font-weight: 500;
    color: var(--primary-text-color);
  }
  .buttons {
    display: flex;
    gap: 8px;
    flex-wrap: wrap;
  }
  .buttons button {
    flex: 1 1 auto;
    padding: 10px 16px;
  }
  .yes {
    background: var(--primary-color);
    color: var(--text-primary-color, #fff);
    border-color: var(--primary-color);
  }
  .no {
    color: var(--error-color);
    border-color: var(--error-color);
    background: transparent;
  }
  .keys {
    margin: 0;
  }
  .strip {
    display: flex;
    gap: 6px;
    overflow-x: auto;
    padding: 8px 2px 2px;
  }
  .thumb {
    padding: 0;
    border-radius: 6px;
    flex: 0 0 auto;
    border: 2px solid transparent;
    background: none;
  }
  .thumb.current {
    border-color: var(--primary-color);
  }
  .thumb img {
    width: 64px;
    height: 48px;
    object-fit: cover;
    border-radius: 4px;
    display: block;
  }
  .picker {
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .chips,
  .tags {
    display: flex;
    gap: 6px;
    flex-wrap: wrap;
    align-items: baseline;
  }
  .chip {
    padding: 3px 12px;
    font-size: 0.9em;
  }
  .chip.on,
  .tag.on {
    background: var(--primary-color);
    color: var(--text-primary-color, #fff);
    border-color: var(--primary-color);
  }
  input,
  select {
    font: inherit;
    color: var(--primary-text-color);
    background: var(--card-background-color);
    border: 1px solid var(--divider-color);
    border-radius: 6px;
    padding: 8px;
  }
  .tag {
    border: none;
    background: none;
    padding: 2px 6px;
    line-height: 1.2;
  }
  .tag:hover {
    color: var(--primary-color);
  }
  .toast {
    display: flex;
    align-items: center;
    gap: 12px;
    justify-content: space-between;
    background: var(--primary-text-color);
    color: var(--card-background-color);
    border-radius: 8px;
    padding: 6px 8px 6px 16px;
  }
  .toast button {
    background: none;
    border: none;
    color: var(--primary-color);
    font-weight: 500;
    text-transform: uppercase;
  }
  .cell-frames {
    margin-top: 8px;
    border: 1px solid var(--divider-color);
    border-radius: 8px;
    padding: 8px 12px;
    font-size: 0.9em;
  }
  .cell-frames ul {
    margin: 0;
    padding: 0;
    list-style: none;
    max-height: 12em;
    overflow-y: auto;
  }
  .cell-frames li {
    display: flex;
    gap: 12px;
    flex-wrap: wrap;
    padding: 2px 0;
  }
  .cell-frames .top,
  .cell-frames .time {
    color: var(--secondary-text-color);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9em;
  }
  th {
    text-align: left;
    font-weight: 500;
    color: var(--secondary-text-color);
  }
  th,
  td {
    padding: 4px 6px 4px 0;
    border-bottom: 1px solid var(--divider-color);
  }
  .badge,
  .state {
    font-size: 0.8em;
    border-radius: 8px;
    padding: 1px 8px;
    background: var(--secondary-background-color);
    white-space: nowrap;
  }
  .state.active {
    background: var(--success-color, #43a047);
    color: var(--text-primary-color, #fff);
  }
  .state.shadow {
    background: var(--warning-color, #ffa600);
    color: var(--text-primary-color, #fff);
  }
  @media (max-width: 480px) {
    .content {
      padding: 0 12px 12px;
    }
    .keys {
      display: none;
    }
  }
`;var ot=300,V=class extends _{constructor(){super(...arguments);this._config={type:"custom:mlwatch-review-card"};this._items=[];this._hidden=new Set;this._index=0;this._cameras={};this._period="day";this._tags=[];this._filter=null;this._picking=!1;this._crop=!1;this._loaded=!1;this._held=new W(e=>this._send(e));this._onHidden=()=>{document.visibilityState==="hidden"&&this._held.flush()};this._onKey=e=>{if(e.composedPath()[0]?.tagName==="INPUT"||e.ctrlKey||e.metaKey||e.altKey)return;let i=this._current,n={y:()=>i&&this._answer({item:i,verdict:"confirmed"}),n:()=>i&&this._answer({item:i,verdict:"rejected"}),e:()=>i&&this._openPicker(),u:()=>this._undo(),ArrowRight:()=>this._move(1),ArrowDown:()=>this._move(1),ArrowLeft:()=>this._move(-1),ArrowUp:()=>this._move(-1)}[e.key];n&&(e.preventDefault(),n())}}static{this.properties={hass:{attribute:!1},_config:{state:!0},_items:{state:!0},_hidden:{state:!0},_index:{state:!0},_cameras:{state:!0},_camera:{state:!0},_period:{state:!0},_timeline:{state:!0},_tags:{state:!0},_filter:{state:!0},_picking:{state:!0},_crop:{state:!0},_cell:{state:!0},_cellFrames:{state:!0},_error:{state:!0},_loaded:{state:!0}}}static getConfigElement(){return document.createElement("mlwatch-review-card-editor")}static getStubConfig(){return{period:"day"}}setConfig(e){this._config={...e},this._period=e.period??"day",this._camera=e.camera,this.hass&&this.isConnected&&this._scheduleRefresh(0)}getCardSize(){return 9}getGridOptions(){return{columns:12,min_columns:6,rows:"auto"}}_t(e,s){return m(this.hass,e,s)}connectedCallback(){super.connectedCallback(),this.tabIndex=0,this.addEventListener("keydown",this._onKey),document.addEventListener("visibilitychange",this._onHidden),this.hass&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this.removeEventListener("keydown",this._onKey),document.removeEventListener("visibilitychange",this._onHidden),this._held.flush(),this._unsubscribe?.then(e=>e()).catch(()=>{}),this._unsubscribe=void 0}willUpdate(e){e.has("hass")&&this.hass&&!this._unsubscribe&&this.isConnected&&this._start()}_start(){this._unsubscribe=Le(this.hass,e=>this._onChange(e)),this._unsubscribe.catch(e=>this._error=O(e)),this._scheduleRefresh(0)}_onChange(e){e.camera&&this._config.camera&&e.camera!==this._config.camera||this._scheduleRefresh(ot)}_scheduleRefresh(e){clearTimeout(this._refresh),this._refresh=setTimeout(()=>{this._reload()},e)}async _reload(){let e=this.hass;if(e){try{let[s,i]=await Promise.all([Te(e,this._config.camera),F(e,this._config.camera)]);this._items=s;let a=new Set(s.map(n=>n.id));this._hidden=new Set([...this._hidden].filter(n=>a.has(n))),this._cameras=i,(!this._camera||!(this._camera in i))&&(this._camera=Object.keys(i)[0]),await this._reloadPeriod(),this._error=void 0}catch(s){this._error=O(s)}this._loaded=!0}}async _reloadPeriod(){let e=this._camera;if(!this.hass||!e){this._timeline=void 0,this._tags=[];return}let[s,i]=await Promise.all([He(this.hass,e,this._period),Ue(this.hass,e,this._period)]);this._timeline=s,this._tags=i}get _queue(){return De(this._items,this._hidden,this._filter)}get _current(){let e=this._queue;return e[Math.min(this._index,e.length-1)]}_answer(e){this._hidden=new Set([...this._hidden,e.item.id]),this._picking=!1,this._held.hold(e),this.requestUpdate()}async _send(e){try{await qe(this.hass,e.item.id,e.verdict,e.label)}catch(s){this._unhide(e.item.id),this._error=this._t("undo.failed",{error:O(s)})}this.requestUpdate()}_unhide(e){this._hidden=new Set([...this._hidden].filter(s=>s!==e))}_undo(){let e=this._held.undo();e&&this._unhide(e.item.id),this.requestUpdate()}_move(e){let s=this._queue.length;s&&(this._index=(Math.min(this._index,s-1)+e+s)%s)}_openPicker(){this._picking=!0,this.updateComplete.then(()=>this.renderRoot.querySelector("#label")?.focus())}_teach(e){e.preventDefault();let s=this.renderRoot.querySelector("#label"),i=this._current;i&&s?.value.trim()&&this._answer(de(i,s.value))}async _selectCell(e){this._cell=e.detail,this._cellFrames=void 0;try{let{start:s,end:i}=e.detail;this._cellFrames=await Me(this.hass,this._camera,s,i)}catch(s){this._error=O(s)}}async _show(e){this._period=e.period??this._period,this._camera=e.camera??this._camera,this._cell=void 0;try{await this._reloadPeriod()}catch(s){this._error=O(s)}}_cameraName(e){return this._cameras[e]?.title??this.hass?.states[e]?.attributes.friendly_name??e}render(){let e=this._config.camera,s=this._config.title??(e?this._t("card.title_camera",{camera:this._cameraName(e)}):this._t("card.title"));return l`
      <ha-card .header=${s}>
        <div class="content">
          ${this._error?l`<p class="error" role="alert">${this._error}</p>`:c}
          ${this._loaded?Object.keys(this._cameras).length===0?l`<p class="hint">${this._t("card.no_mlwatch")}</p>`:l`${this._renderQueue()} ${this._renderUndo()} ${this._renderPeriod()}
                ${this._renderLearning()}`:l`<p class="hint">${this._t("card.loading")}</p>`}
        </div>
      </ha-card>
    `}_renderQueue(){let e=this._queue,s=this._current,i=this._filter;return l`
      <section class="queue" aria-label=${this._t("queue.heading")}>
        <div class="row">
          <h2>${this._t("queue.heading")}</h2>
          <span class="count">${this._t("queue.count",{count:e.length})}</span>
          ${i?l`<button class="chip on" @click=${()=>this._filter=null}>
                ${this._t("queue.filter",{label:i})} ✕
              </button>`:c}
        </div>
        ${s?this._renderQuestion(s):l`<p class="empty">
              ${i?this._t("queue.empty_filtered",{label:i}):this._t("queue.empty")}
            </p>`}
        ${e.length>1?l`<div class="strip">
              ${e.map(a=>l`<button
                  class="thumb ${a===s?"current":""}"
                  title="${a.label} ${L(a.score)} % · ${he(N(this.hass),a.time)}"
                  @click=${()=>this._index=e.indexOf(a)}
                >
                  <img src=${a.crop_url} alt=${a.label} loading="lazy" />
                </button>`)}
            </div>`:c}
      </section>
    `}_renderQuestion(e){let s=N(this.hass),i=e.decided_by==="personal"?e.personal_score:e.score,a=`queue.source_${e.source}`;return l`
      <div class="question" data-item=${e.id}>
        <div class="frame">
          <img src=${this._crop?e.crop_url:e.image_url} alt=${this._t("queue.image_alt")} />
          <button class="toggle" @click=${()=>this._crop=!this._crop}>
            ${this._crop?this._t("queue.show_frame"):this._t("queue.show_crop")}
          </button>
        </div>
        <div class="ask">
          <p class="label">${this._t("queue.question",{label:e.label})}</p>
          <p class="meta">
            <span class="score">${this._t("queue.score",{score:L(i)})}</span>
            · ${e.decided_by==="personal"?this._t("queue.decided_personal"):this._t("queue.decided_base")}
            · ${this._t(a)} ${he(s,e.time)} · ${this._cameraName(e.camera)}
          </p>
          ${this._picking?this._renderPicker(e):this._renderButtons(e)}
          <p class="keys">${this._t("queue.keys")}</p>
        </div>
      </div>
    `}_renderButtons(e){return l`<div class="buttons">
      <button class="yes" @click=${()=>this._answer({item:e,verdict:"confirmed"})}>
        ${this._t("queue.yes")}
      </button>
      <button class="no" @click=${()=>this._answer({item:e,verdict:"rejected"})}>
        ${this._t("queue.no")}
      </button>
      <button class="else" @click=${()=>this._openPicker()}>${this._t("queue.else")}</button>
    </div>`}_renderPicker(e){let s=this._cameras[e.camera],i=[...new Set([...s?.watched??[],...Object.keys(s?.labels??{})])],a=new Set(s?.known??[]);return l`<form class="picker" @submit=${this._teach}>
      <label for="label">${this._t("picker.heading")}</label>
      <div class="chips">
        ${i.filter(n=>n!==e.label).map(n=>l`<button type="button" class="chip" @click=${()=>this._answer(de(e,n))}>
              ${n}
            </button>`)}
      </div>
      <input id="label" list="mlwatch-labels" autocomplete="off"
        placeholder=${this._t("picker.placeholder")} @input=${()=>this.requestUpdate()} />
      <datalist id="mlwatch-labels">${[...a].map(n=>l`<option value=${n}></option>`)}</datalist>
      ${this._newLabel(a)?l`<p class="hint">${this._t("picker.new_label")}</p>`:c}
      <div class="buttons">
        <button type="submit" class="yes">${this._t("picker.teach")}</button>
        <button type="button" @click=${()=>this._picking=!1}>${this._t("picker.cancel")}</button>
      </div>
    </form>`}_newLabel(e){let s=this.renderRoot?.querySelector("#label")?.value.trim();return!!s&&!e.has(s)}_renderUndo(){let e=this._held.current;if(!e)return c;let s=e.label?"undo.relabelled":e.verdict==="confirmed"?"undo.confirmed":"undo.rejected";return l`<div class="toast" role="status">
      <span>${this._t(s,{label:e.label??e.item.label})}</span>
      <button @click=${()=>this._undo()}>${this._t("undo.undo")}</button>
    </div>`}_renderPeriod(){let e=Object.keys(this._cameras),s=this._camera,i=s?this._cameras[s]:void 0;return l`
      <section class="period">
        <div class="row">
          <h2>${this._t("heatmap.heading")}</h2>
          ${!this._config.camera&&e.length>1?l`<select aria-label=${this._t("card.camera")}
                @change=${a=>{this._show({camera:a.target.value})}}>
                ${e.map(a=>l`<option value=${a} ?selected=${a===s}>${this._cameraName(a)}</option>`)}
              </select>`:c}
          <span class="spacer"></span>
          ${["day","week"].map(a=>l`<button class="chip ${this._period===a?"on":""}"
              aria-pressed=${this._period===a} @click=${()=>{this._show({period:a})}}>
              ${this._t(a==="day"?"heatmap.day":"heatmap.week")}
            </button>`)}
        </div>
        <mlwatch-heatmap .hass=${this.hass} .timeline=${this._timeline} .period=${this._period}
          .thresholds=${i?.thresholds??{}} .selected=${this._cell}
          @cell-selected=${this._selectCell}></mlwatch-heatmap>
        ${this._cell?this._renderCell(this._cell):c}
        <h2>${this._t("tags.heading")}</h2>
        ${this._renderTags()}
      </section>
    `}_renderCell(e){let s=N(this.hass),i=this._cellFrames;return l`<div class="cell-frames">
      <div class="row">
        <strong>${e.label} · ${this._t("heatmap.frames_in",{from:b(s,e.start),to:b(s,e.end)})}</strong>
        <span class="spacer"></span>
        <button class="chip" @click=${()=>this._cell=void 0}>${this._t("heatmap.close")}</button>
      </div>
      ${i===void 0?l`<p class="hint">${this._t("card.loading")}</p>`:i.length===0?l`<p class="hint">${this._t("heatmap.no_frames")}</p>`:l`<ul>
              ${i.map(a=>l`<li>
                  <span class="time">${new Date(a.time*1e3).toLocaleTimeString(s)}</span>
                  <span class="score">${e.label} ${L(a.scores[e.label])} %</span>
                  <span class="top">${a.top.map(n=>`${n} ${L(a.scores[n])} %`).join(" · ")}</span>
                </li>`)}
            </ul>`}
    </div>`}_renderTags(){let e=this._tags;if(!e.length)return l`<p class="hint">${this._t("tags.empty")}</p>`;let s=Math.max(...e.map(i=>i.count));return l`<div class="tags">
      ${e.map(i=>{let a=.8+1.1*(Math.log(i.count+1)/Math.log(s+1));return l`<button class="tag ${this._filter===i.label?"on":""}" style="font-size: ${a.toFixed(2)}em"
          title=${this._t("tags.count",{label:i.label,count:i.count})}
          aria-pressed=${this._filter===i.label}
          @click=${()=>{this._filter=this._filter===i.label?null:i.label,this._index=0}}>${i.label}</button>`})}
    </div>`}_renderLearning(){let e=this._camera,s=e?this._cameras[e]:void 0;if(!s)return c;let i=Object.entries(s.labels);return l`<section class="learning">
      <h2>${this._t("learning.heading")}</h2>
      ${s.available?i.length===0?l`<p class="hint">${this._t("learning.none")}</p>`:l`<table>
              <thead><tr>
                <th>${this._t("learning.label")}</th><th>${this._t("learning.answers")}</th>
                <th>${this._t("learning.base_f1")}</th><th>${this._t("learning.personal_f1")}</th>
                <th>${this._t("learning.state")}</th>
              </tr></thead>
              <tbody>${i.map(([a,n])=>l`<tr data-label=${a}>
                  <td>${a}${n.kind==="new"?l` <span class="badge">${this._t("learning.new")}</span>`:c}</td>
                  <td>${this._t("learning.answers_value",{positives:n.positives,negatives:n.negatives})}</td>
                  <td>${ze(n.base_f1)}</td><td>${ze(n.personal_f1)}</td>
                  <td><span class="state ${n.state}">${this._t(`learning.state_${n.state}`)}</span></td>
                </tr>`)}</tbody>
            </table>`:l`<p class="hint">${this._t("learning.unavailable")}</p>`}
    </section>`}static{this.styles=Ie}};function ze(r){return r===null?"—":r.toFixed(2)}function O(r){return r&&typeof r=="object"&&"message"in r?String(r.message):String(r)}var lt={camera:"editor.camera",period:"editor.period",title:"editor.title"},Q=class extends _{static{this.properties={hass:{attribute:!1},_config:{state:!0},_cameras:{state:!0}}}setConfig(t){this._config=t}updated(){this.hass&&this._cameras===void 0&&(this._cameras=[],F(this.hass).then(t=>this._cameras=Object.keys(t),()=>{}))}_schema(){let t=[{value:"day",label:m(this.hass,"heatmap.day")},{value:"week",label:m(this.hass,"heatmap.week")}];return[{name:"camera",selector:{entity:{include_entities:this._cameras??[]}}},{name:"period",selector:{select:{options:t,mode:"dropdown"}}},{name:"title",selector:{text:{}}}]}_changed(t){let e={...t.detail.value};for(let s of["camera","title"])e[s]||delete e[s];this.dispatchEvent(new CustomEvent("config-changed",{detail:{config:e},bubbles:!0,composed:!0}))}render(){return!this.hass||!this._config?c:l`<ha-form
      .hass=${this.hass}
      .data=${{period:"day",...this._config}}
      .schema=${this._schema()}
      .computeLabel=${t=>m(this.hass,lt[t.name])}
      @value-changed=${this._changed}
    ></ha-form>`}};var je=8;function ct(r){return r<je?"first":r>100-je?"last":""}var G=class extends _{constructor(){super(...arguments);this.period="day";this.thresholds={}}static{this.properties={hass:{attribute:!1},timeline:{attribute:!1},period:{},thresholds:{attribute:!1},selected:{attribute:!1}}}_pick(e,s){let i=this.timeline,a=i.start+s*i.bucket,n={label:e,start:a,end:a+i.bucket};this.dispatchEvent(new CustomEvent("cell-selected",{detail:n,bubbles:!0,composed:!0}))}_ticks(e){let s=e.bucket*e.frames.length,i=this.period==="day"?6*3600:24*3600,a=this.hass?.locale?.language??"en",n=[];for(let h=Math.ceil(e.start/i)*i;h<e.start+s;h+=i){let o=new Date(h*1e3),d=this.period==="day"?b(a,h):o.toLocaleDateString(a,{weekday:"short",day:"numeric"});n.push({at:(h-e.start)/s*100,text:d})}return n}_row(e,s,i){let a=this.hass?.locale?.language??"en",n=new Set(i.episodes[e]??[]),h=this.thresholds[e]??.6;return le`${s.map((o,d)=>{let u=b(a,i.start+d*i.bucket),p=b(a,i.start+(d+1)*i.bucket),g=o===null?m(this.hass,"heatmap.cell_empty",{label:e,from:u,to:p}):m(this.hass,"heatmap.cell",{label:e,from:u,to:p,score:Math.round(o*100),frames:i.frames[d]}),f=n.has(d),k=this.selected?.label===e&&Math.abs(this.selected.start-(i.start+d*i.bucket))<1,Be=["cell",o===null?"none":o>=h?"hot":"",f?"episode":"",k?"selected":""].join(" "),We=o===null?1:.12+.88*o;return le`<rect class=${Be} x=${d} y="0" width="1" height="1" fill-opacity=${We}
        data-label=${e} data-index=${d} data-score=${o??""}
        @click=${()=>this._pick(e,d)}><title>${g}${f?` · ${m(this.hass,"heatmap.episode")}`:""}</title></rect>`})}`}render(){let e=this.timeline;if(!e)return c;let s=Object.keys(e.labels),i=e.frames.length,a=e.frames.every(n=>n===0);return l`
      <div class="grid">
        ${s.map(n=>l`
            <div class="name" title=${n}>${n}</div>
            <svg viewBox="0 0 ${i} 1" preserveAspectRatio="none" role="img" aria-label=${n}>
              ${this._row(n,e.labels[n],e)}
            </svg>
          `)}
        <div></div>
        <div class="axis">
          ${this._ticks(e).map(n=>l`<span class=${ct(n.at)} style="left: ${n.at}%">${n.text}</span>`)}
        </div>
      </div>
      ${a?l`<p class="hint">${m(this.hass,"heatmap.nothing")}</p>`:c}
      <div class="legend">
        <span>${m(this.hass,"heatmap.legend_low")}</span>
        <span class="ramp"></span>
        <span>${m(this.hass,"heatmap.legend_high")}</span>
        <span class="mark"></span><span>${m(this.hass,"heatmap.episode")}</span>
      </div>
    `}static{this.styles=P`
    :host {
      display: block;
      --mlwatch-hot: var(--error-color, #db4437);
      --mlwatch-warm: var(--warning-color, #ffa600);
    }
    .grid {
      display: grid;
      grid-template-columns: minmax(3em, max-content) 1fr;
      gap: 4px 8px;
      align-items: center;
    }
    .name {
      font-size: 0.9em;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      max-width: 8em;
    }
    svg {
      width: 100%;
      height: 22px;
      display: block;
      background: var(--secondary-background-color, #f0f0f0);
      border-radius: 3px;
    }
    .cell {
      fill: var(--mlwatch-warm);
      cursor: pointer;
    }
    .cell.hot {
      fill: var(--mlwatch-hot);
    }
    .cell.none {
      fill: transparent;
    }
    .cell.episode {
      stroke: var(--primary-text-color);
      stroke-width: 2;
      vector-effect: non-scaling-stroke;
    }
    .cell.selected {
      stroke: var(--primary-color);
      stroke-width: 3;
      vector-effect: non-scaling-stroke;
    }
    .axis {
      position: relative;
      height: 1.2em;
      font-size: 0.75em;
      color: var(--secondary-text-color);
    }
    .axis span {
      position: absolute;
      transform: translateX(-50%);
      white-space: nowrap;
    }
    .axis span.first {
      transform: none;
    }
    .axis span.last {
      transform: translateX(-100%);
    }
    .legend {
      display: flex;
      align-items: center;
      gap: 6px;
      margin-top: 6px;
      font-size: 0.75em;
      color: var(--secondary-text-color);
      flex-wrap: wrap;
    }
    .ramp {
      width: 60px;
      height: 8px;
      border-radius: 2px;
      background: linear-gradient(
        to right,
        color-mix(in srgb, var(--mlwatch-warm) 15%, transparent),
        var(--mlwatch-warm),
        var(--mlwatch-hot)
      );
    }
    .mark {
      width: 8px;
      height: 8px;
      margin-left: 8px;
      border: 2px solid var(--primary-text-color);
    }
    .hint {
      color: var(--secondary-text-color);
      font-size: 0.85em;
      margin: 6px 0 0;
    }
  `}};var ht=[["mlwatch-review-card",V],["mlwatch-review-card-editor",Q],["mlwatch-heatmap",G]],D;function Fe(){if(window.customElements===D)return;let r=D===void 0;D=window.customElements;for(let[t,e]of ht)D.get(t)||D.define(t,r?e:class extends e{})}Fe();var dt=Date.now(),pt=setInterval(()=>{Fe(),Date.now()-dt>3e4&&clearInterval(pt)},200),Ke=window.customCards??=[];Ke.some(r=>r.type==="mlwatch-review-card")||Ke.push({type:"mlwatch-review-card",name:m(void 0,"picker_card.name"),description:m(void 0,"picker_card.description"),preview:!0,documentationURL:"https://github.com/mlwatch/mlwatch#the-review-card"});
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
